"""OGC SensorThings API Observations (MQTT ``v1.1/Datastreams({id})/Observations``, ``v1.0/...`` too,
or the same bodies over HTTP).

Each Datastream carries one metric; we accept LAeq datastreams: ``result`` becomes ``laeq``.

- datastream: the id in the topic, else ``Datastream.@iot.id`` in the body (both present and
  different: ``topic_mismatch``); ids may be numbers or quoted strings (``Datastreams('ab')``);
- sensor id: the registry's datastream map, else ``datastream-{id}``;
- time: ``phenomenonTime`` as an interval ``start/end`` gives the start and the interval. As an
  instant it is taken as the END of an interval of the sensor's length (default 60 s; sensor rule
  ``"start"`` flips that), because a pusher stamps an average when it has finished computing it.
  Without ``phenomenonTime``, ``resultTime`` is used the same way as an instant.
- ``@iot.id`` of the observation, when present, becomes the ``dedupe_id``.

Body: one Observation, or an array of them (each refused on its own).
"""

from __future__ import annotations

import re

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading, make_reading, parse_time_s
from noiselab.ingest.decoders.body import as_object, json_type, load_json
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules, decode_items

_ID = re.compile(r"\d+|'[^'/]*'")


def decode(message: Message, rules: SensorRules) -> Decoded:
    topic_id = _topic_datastream(message.topic)
    data = load_json(message.body)
    if isinstance(data, dict):
        return Decoded([_observation(data, topic_id, message, rules)], [])
    if not isinstance(data, list):
        raise InvalidReading(
            "bad_shape", f"body must be an Observation or an array of them, got {json_type(data)}"
        )
    return decode_items(data, lambda item: _observation(item, topic_id, message, rules), "Observation")


def _topic_datastream(topic: str | None) -> str | None:
    if topic is None:
        return None
    FORMAT.check_topic(topic)
    fields = FORMAT.topic_fields(topic)
    assert fields is not None
    if not _ID.fullmatch(fields["id"]):
        raise InvalidReading(
            "bad_topic", f"a Datastream id is a number or a quoted string, got {fields['id'][:80]!r}"
        )
    return fields["id"].strip("'")


def _datastream(obs: dict[str, object], topic_id: str | None) -> str:
    body_id: str | None = None
    link = obs.get("Datastream")
    if link is not None:
        raw = as_object(link, "Datastream").get("@iot.id")
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise InvalidReading(
                "bad_type", f"Datastream.@iot.id must be a number or a string, got {json_type(raw)}"
            )
        body_id = str(raw)
    if topic_id is not None and body_id is not None and topic_id != body_id:
        raise InvalidReading(
            "topic_mismatch", f"topic names Datastream {topic_id!r}, the body {body_id[:80]!r}"
        )
    found = topic_id if topic_id is not None else body_id
    if found is None:
        raise InvalidReading(
            "missing_field",
            "no Datastream: publish to v1.1/Datastreams({id})/Observations or add Datastream.@iot.id",
        )
    return found


def _observation(
    obs: dict[str, object], topic_id: str | None, message: Message, rules: SensorRules
) -> Reading:
    datastream = _datastream(obs, topic_id)
    sensor_id = rules.datastreams.get(datastream, f"datastream-{datastream}")
    start_s, interval_s = _phenomenon(obs, sensor_id, rules)
    obs_id = obs.get("@iot.id")
    return make_reading(
        sensor_id=sensor_id,
        start_s=start_s,
        interval_s=interval_s,
        laeq=obs.get("result"),
        now_s=message.received_s,
        source="sensorthings",
        dedupe_id=str(obs_id) if isinstance(obs_id, (int, str)) and not isinstance(obs_id, bool) else None,
    )


def _phenomenon(obs: dict[str, object], sensor_id: str, rules: SensorRules) -> tuple[float, object]:
    value = obs.get("phenomenonTime")
    what = "phenomenonTime"
    if value is None:
        value, what = obs.get("resultTime"), "resultTime"
    if value is None:
        raise InvalidReading("missing_field", "phenomenonTime is required")
    if isinstance(value, str) and "/" in value:
        first, _, second = value.partition("/")
        start_s = parse_time_s(first, what=f"{what} start")
        end_s = parse_time_s(second, what=f"{what} end")
        if end_s <= start_s:
            raise InvalidReading("bad_interval", f"the end of {what} must be later than its start")
        return start_s, end_s - start_s
    interval_s = rules.interval_for(sensor_id, FORMAT)
    return rules.start_for(sensor_id, parse_time_s(value, what=what), interval_s), interval_s


FORMAT = Format(
    name="sensorthings",
    title="OGC SensorThings Observation",
    decode=decode,
    default_interval_s=60.0,  # only for an instant phenomenonTime
    topics=("v1.1/Datastreams({id})/Observations", "v1.0/Datastreams({id})/Observations"),
    subscriptions=("v1.1/#", "v1.0/#"),
)
