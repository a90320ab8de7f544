"""What ChirpStack and The Things Stack uplinks have in common once the envelope is opened.

A LoRaWAN sound uplink carries no measurement time: the reading is taken to END at the network
server's receive time (unless the sensor's rule says ``"start"``) and to last the sensor's registered
interval (default 60 s).

Battery: vendor decoders that report a battery level as a percentage name it ``battery`` (Milesight),
``battery_level``/``batteryLevel``, ``bat``/``batt`` or ``battery_pct`` (any case, ``_`` or not); a number
from 0 to 100 is kept for the ``battery`` health check. Voltages (Elsys ``vdd`` in mV) are not a
percentage and are ignored.
"""

from __future__ import annotations

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading, make_reading
from noiselab.ingest.decoders.body import json_type
from noiselab.ingest.decoders.fields import map_levels
from noiselab.ingest.decoders.message import Format, Message, SensorRules


def uplink_reading(
    decoded_payload: object,
    *,
    source_id: str,
    time_s: float,
    fmt: Format,
    source: str,
    dedupe_id: str | None,
    message: Message,
    rules: SensorRules,
) -> Reading:
    """One reading from the vendor decoder's output (``object`` / ``decoded_payload``)."""
    if not isinstance(decoded_payload, dict):
        raise InvalidReading(
            "bad_type", f"the decoded payload must be a JSON object, got {json_type(decoded_payload)}"
        )
    levels = map_levels(decoded_payload)
    sensor_id = rules.sensor_for(source_id)
    interval_s = rules.interval_for(sensor_id, fmt)
    return make_reading(
        sensor_id=sensor_id,
        start_s=rules.start_for(sensor_id, time_s, interval_s),
        interval_s=interval_s,
        laeq=levels.get("laeq"),
        lafmax=levels.get("lafmax"),
        lafmin=levels.get("lafmin"),
        lcpeak=levels.get("lcpeak"),
        now_s=message.received_s,
        source=source,
        dedupe_id=dedupe_id,
    )


BATTERY_NAMES = frozenset({"battery", "batterylevel", "bat", "batt", "batterypct", "batterypercent"})


def battery_pct(decoded_payload: object, sensor_id: str) -> dict[str, float]:
    """``{sensor_id: level}`` when the decoded payload reports a battery percentage, else ``{}``."""
    if not isinstance(decoded_payload, dict):
        return {}
    for name, value in decoded_payload.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if str(name).replace("_", "").lower() in BATTERY_NAMES and number and 0 <= value <= 100:
            return {sensor_id: float(value)}
    return {}
