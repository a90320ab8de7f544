"""sensor.community (luftdaten / airrohr) DNMS noise pushes over HTTP.

- sensor id: the ``X-Sensor`` header (``esp8266-13597771``), surrounding blanks removed; when the
  header is missing, ``esp8266-{esp8266id}`` from the body;
- levels: ``sensordatavalues`` items ``{"value_type": ..., "value": "52.30"}``; ``noise_LAeq`` -> laeq,
  ``noise_LA_max`` -> lafmax, ``noise_LA_min`` -> lafmin, with or without the firmware's ``DNMS_``
  prefix; values are decimal strings (numbers are accepted too); other value types are ignored;
- time: the device sends none, so the reading ENDS at our receive time (sensor rule ``"start"``
  flips that) and lasts the sensor's interval, default 145 s (the firmware's usual send interval).
"""

from __future__ import annotations

import re

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import check_sensor_id, make_reading
from noiselab.ingest.decoders.body import as_object, json_type, load_json, top_object
from noiselab.ingest.decoders.fields import level_of, no_laeq
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules

_PREFIX = re.compile(r"^(?:DNMS_)?noise_")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_NON_FINITE = re.compile(r"^[+-]?(?:nan|inf|infinity)$", re.IGNORECASE)


def decode(message: Message, rules: SensorRules) -> Decoded:
    body = top_object(load_json(message.body), "a sensor.community push")
    source_id = _source_id(message, body)
    values = body.get("sensordatavalues")
    if values is None:
        raise InvalidReading("missing_field", "sensordatavalues is required")
    if not isinstance(values, list):
        raise InvalidReading("bad_type", f"sensordatavalues must be an array, got {json_type(values)}")
    levels: dict[str, object] = {}
    seen: list[str] = []
    for i, item in enumerate(values):
        entry = as_object(item, f"sensordatavalues[{i}]")
        value_type = entry.get("value_type")
        if not isinstance(value_type, str):
            raise InvalidReading("bad_type", f"sensordatavalues[{i}].value_type must be a string")
        seen.append(value_type)
        target = level_of(_PREFIX.sub("", value_type)) if _PREFIX.match(value_type) else None
        if target is None:
            continue
        level = target[0]
        if level in levels:
            raise InvalidReading("duplicate_field", f"{value_type!r} gives {level} a second time")
        levels[level] = _number(entry.get("value"), f"{value_type} value")
    if "laeq" not in levels:
        raise no_laeq(seen, what="sensordatavalues")
    sensor_id = rules.sensor_for(source_id)
    interval_s = rules.interval_for(sensor_id, FORMAT)
    reading = make_reading(
        sensor_id=sensor_id,
        start_s=rules.start_for(sensor_id, message.received_s, interval_s),
        interval_s=interval_s,
        laeq=levels["laeq"],
        lafmax=levels.get("lafmax"),
        lafmin=levels.get("lafmin"),
        lcpeak=levels.get("lcpeak"),
        now_s=message.received_s,
        source="sensor-community",
    )
    return Decoded([reading], [])


def _source_id(message: Message, body: dict[str, object]) -> str:
    header = message.headers.get("x-sensor")
    if header is not None:
        return check_sensor_id(header.strip())
    chip = body.get("esp8266id")
    if isinstance(chip, (str, int)) and not isinstance(chip, bool):
        return check_sensor_id(f"esp8266-{chip}".strip())
    raise InvalidReading("missing_field", "the X-Sensor header (e.g. 'esp8266-13597771') is required")


def _number(value: object, what: str) -> object:
    """A decimal string as a float; numbers pass through; the level check refuses the rest."""
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.match(text):
            return float(text)
        if _NON_FINITE.match(text):
            return float(text)  # refused as not_finite by the level check
        raise InvalidReading("bad_type", f"{what} must be a decimal number, got {value[:40]!r}")
    return value


FORMAT = Format(
    name="sensor-community",
    title="sensor.community (airrohr) DNMS push",
    decode=decode,
    default_interval_s=145.0,  # the firmware's usual send interval
)
