"""The Things Stack v3 uplinks (MQTT ``v3/{app}[@{tenant}]/devices/{device}/up``, webhook, Pub/Sub).

- sensor id: ``end_device_ids.device_id`` (through the registry's source-id map);
- levels: ``uplink_message.decoded_payload``, mapped by :mod:`ingest.decoders.fields`;
- time: ``uplink_message.received_at`` (network server), else the top-level ``received_at``
  (application server), else our receive time; the reading ends at that time;
- ``dedupe_id``: the ``as:up:...`` entry of ``correlation_ids``;
- ``simulated: true`` (an uplink injected from the console) gives ``source = "tts-simulated"``;
- application: the topic's ``{application}`` (``app@tenant`` on multi-tenant clusters), else
  ``end_device_ids.application_ids.application_id`` (webhook), for ownership.
"""

from __future__ import annotations

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import parse_time_s
from noiselab.ingest.decoders.body import as_object, as_str, load_json, require, top_object
from noiselab.ingest.decoders.lorawan import battery_pct, uplink_reading
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules


def decode(message: Message, rules: SensorRules) -> Decoded:
    envelope = top_object(load_json(message.body), "a The Things Stack v3 uplink")
    ids = as_object(require(envelope, "end_device_ids"), "end_device_ids")
    device_id = as_str(require(ids, "device_id", "end_device_ids.device_id"), "end_device_ids.device_id")
    _check_topic(message.topic, device_id)
    uplink = as_object(require(envelope, "uplink_message"), "uplink_message")
    if uplink.get("decoded_payload") is None:
        raise InvalidReading(
            "no_decoded_payload",
            "uplink_message has no decoded_payload: set a payload formatter for the device or application",
        )
    reading = uplink_reading(
        uplink["decoded_payload"],
        source_id=device_id,
        time_s=_time_s(envelope, uplink, message),
        fmt=FORMAT,
        source="tts-simulated" if envelope.get("simulated") is True else "tts",
        dedupe_id=_correlation_id(envelope.get("correlation_ids")),
        message=message,
        rules=rules,
    )
    return Decoded(
        [reading],
        [],
        battery_pct=battery_pct(uplink["decoded_payload"], reading.sensor_id),
        application=_application(message.topic, ids),
    )


def _application(topic: str | None, ids: dict[str, object]) -> str | None:
    """The application id: the topic's (the broker's ACL vouches for it), else the payload's."""
    fields = FORMAT.topic_fields(topic) if topic is not None else None
    if fields is not None:
        return fields["application"]
    app_ids = ids.get("application_ids")
    app = app_ids.get("application_id") if isinstance(app_ids, dict) else None
    return app if isinstance(app, str) and app else None


def _check_topic(topic: str | None, device_id: str) -> None:
    if topic is None:
        return
    FORMAT.check_topic(topic)
    fields = FORMAT.topic_fields(topic)
    assert fields is not None
    if fields["device_id"] != device_id:
        raise InvalidReading(
            "topic_mismatch",
            f"topic names device {fields['device_id']!r} but end_device_ids.device_id is {device_id!r}",
        )


def _time_s(envelope: dict[str, object], uplink: dict[str, object], message: Message) -> float:
    if uplink.get("received_at") is not None:
        return parse_time_s(uplink["received_at"], what="uplink_message.received_at")
    if envelope.get("received_at") is not None:
        return parse_time_s(envelope["received_at"], what="received_at")
    return message.received_s


def _correlation_id(ids: object) -> str | None:
    if isinstance(ids, list):
        for cid in ids:
            if isinstance(cid, str) and cid.startswith("as:up:"):
                return cid
    return None


FORMAT = Format(
    name="tts",
    title="The Things Stack v3 uplink",
    decode=decode,
    default_interval_s=60.0,  # LoRaWAN sound sensors commonly report every minute
    topics=("v3/{application}/devices/{device_id}/up",),
    # the network server writes the topic; its other events (join, status, ...) are normal traffic, not ours
    subscriptions=("v3/+/devices/+/up",),
)
