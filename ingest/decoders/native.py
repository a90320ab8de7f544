"""noiselab's own format (SPEC §3): one reading, a batch of equally spaced readings, or an array of
single readings.

Keys are case-insensitive (``LAeq``, ``LAFmax``, ``LCpeak`` work); unknown keys are ignored. ``ts`` and
``start`` are synonyms (one of them, not both). Over MQTT the sensor id is the topic's
``noise/{vendor}/{sensor_id}/levels``; a ``sensor_id`` in the body must then agree. Over HTTP
(``topic is None``) ``sensor_id`` in the body is required. ``interval_s`` defaults to the sensor's
registered interval, else 1 s.

A single reading decodes or raises; a batch or an array gives one refusal per bad item (``index`` is
its position) and keeps the rest, unless the batch's own fields (``start``, ``interval_s``,
``sensor_id``, array lengths) are wrong, which refuses the whole message.
"""

from __future__ import annotations

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import (
    Reading,
    check_interval,
    check_sensor_id,
    make_reading,
    make_readings,
    parse_time_s,
)
from noiselab.ingest.decoders.body import check_items, json_type, load_json, require
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules, decode_items

OPTIONAL_LEVELS = ("lafmax", "lafmin", "lcpeak")


def decode(message: Message, rules: SensorRules) -> Decoded:
    data = load_json(message.body)
    topic_sensor = _topic_sensor(message.topic)
    if isinstance(data, list):
        return decode_items(
            data, lambda item: _single(_lower_keys(item), topic_sensor, message, rules), "array item"
        )
    if not isinstance(data, dict):
        raise InvalidReading(
            "bad_shape", f"body must be a reading, a batch or an array of readings, got {json_type(data)}"
        )
    fields = _lower_keys(data)
    if isinstance(fields.get("laeq"), list):
        return _batch(fields, topic_sensor, message, rules)
    return Decoded([_single(fields, topic_sensor, message, rules)], [])


def _topic_sensor(topic: str | None) -> str | None:
    if topic is None:
        return None
    FORMAT.check_topic(topic)
    fields = FORMAT.topic_fields(topic)
    assert fields is not None
    return check_sensor_id(fields["sensor_id"])


def _lower_keys(obj: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in obj.items():
        low = key.lower()
        if low in out:
            raise InvalidReading("duplicate_field", f"{key!r} is given twice (keys are case-insensitive)")
        out[low] = value
    if "ts" in out and "start" in out:
        raise InvalidReading("duplicate_field", "give either 'ts' or 'start', not both")
    return out


def _sensor_id(fields: dict[str, object], topic_sensor: str | None, rules: SensorRules) -> str:
    body_sensor = fields.get("sensor_id")
    if topic_sensor is None:
        if body_sensor is None:
            raise InvalidReading("missing_field", "sensor_id is required when posting over HTTP")
        return rules.sensor_for(check_sensor_id(body_sensor))
    if body_sensor is not None and body_sensor != topic_sensor:
        raise InvalidReading(
            "topic_mismatch",
            f"body sensor_id {str(body_sensor)[:80]!r} differs from the topic's {topic_sensor!r}",
        )
    return rules.sensor_for(topic_sensor)


def _start_s(fields: dict[str, object]) -> float:
    key = "start" if "start" in fields else "ts"
    return parse_time_s(require(fields, key, "ts (or start)"), what=key)


def _interval(fields: dict[str, object], sensor_id: str, rules: SensorRules) -> object:
    value = fields.get("interval_s")
    return rules.interval_for(sensor_id, FORMAT) if value is None else value


def _single(
    fields: dict[str, object], topic_sensor: str | None, message: Message, rules: SensorRules
) -> Reading:
    sensor_id = _sensor_id(fields, topic_sensor, rules)
    return make_reading(
        sensor_id=sensor_id,
        start_s=_start_s(fields),
        interval_s=_interval(fields, sensor_id, rules),
        laeq=fields.get("laeq"),
        lafmax=fields.get("lafmax"),
        lafmin=fields.get("lafmin"),
        lcpeak=fields.get("lcpeak"),
        now_s=message.received_s,
        source="native",
    )


def _batch(
    fields: dict[str, object], topic_sensor: str | None, message: Message, rules: SensorRules
) -> Decoded:
    sensor_id = _sensor_id(fields, topic_sensor, rules)
    start_s = _start_s(fields)
    interval_s = check_interval(_interval(fields, sensor_id, rules))
    laeq = fields["laeq"]
    assert isinstance(laeq, list)
    check_items(len(laeq))
    columns: dict[str, list[object] | None] = {}
    for name in OPTIONAL_LEVELS:
        column = fields.get(name)
        if column is not None and not isinstance(column, list):
            raise InvalidReading(
                "bad_type", f"in a batch, {name} must be an array like laeq, got {json_type(column)}"
            )
        if column is not None and len(column) != len(laeq):
            raise InvalidReading(
                "length_mismatch",
                f"{name} has {len(column)} values but laeq has {len(laeq)}; they must be equal",
            )
        columns[name] = column
    readings, refused = make_readings(
        sensor_id=sensor_id,
        start_s=start_s,
        interval_s=interval_s,
        laeq=laeq,
        lafmax=columns["lafmax"],
        lafmin=columns["lafmin"],
        lcpeak=columns["lcpeak"],
        now_s=message.received_s,
        source="native",
    )
    return Decoded(readings, refused)


FORMAT = Format(
    name="native",
    title="noiselab native readings",
    decode=decode,
    default_interval_s=1.0,  # SPEC §3: "else 1"
    topics=("noise/{vendor}/{sensor_id}/levels",),
    subscriptions=("noise/#",),  # broad: a wrong shape under noise/ becomes a counted bad_topic
)
