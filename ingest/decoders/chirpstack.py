"""ChirpStack v4 ``up`` events (MQTT ``application/{app}/device/{devEUI}/event/up``, or HTTP integration).

- sensor id: ``deviceInfo.devEui`` in lower case (through the registry's source-id map);
- levels: the device-profile codec's output in ``object``, mapped by :mod:`ingest.decoders.fields`;
- time: ``time`` (network server), else the first ``rxInfo[].nsTime``, else our receive time; the
  reading ends at that time and lasts the sensor's interval;
- ``deduplicationId`` is kept as the reading's ``dedupe_id``;
- application: the topic's ``{application_id}``, else ``deviceInfo.applicationId`` (HTTP), for ownership.
"""

from __future__ import annotations

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import parse_time_s
from noiselab.ingest.decoders.body import as_object, as_str, load_json, require, top_object
from noiselab.ingest.decoders.lorawan import battery_pct, uplink_reading
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules


def decode(message: Message, rules: SensorRules) -> Decoded:
    envelope = top_object(load_json(message.body), "a ChirpStack v4 uplink event")
    device = as_object(require(envelope, "deviceInfo"), "deviceInfo")
    dev_eui = as_str(require(device, "devEui", "deviceInfo.devEui"), "deviceInfo.devEui").strip().lower()
    _check_topic(message.topic, dev_eui)
    if envelope.get("object") is None:
        raise InvalidReading(
            "no_decoded_payload",
            "the uplink has no 'object': give the device profile a codec that decodes the sound fields",
        )
    dedupe = envelope.get("deduplicationId")
    reading = uplink_reading(
        envelope["object"],
        source_id=dev_eui,
        time_s=_time_s(envelope, message),
        fmt=FORMAT,
        source="chirpstack",
        dedupe_id=dedupe if isinstance(dedupe, str) and dedupe else None,
        message=message,
        rules=rules,
    )
    return Decoded(
        [reading],
        [],
        battery_pct=battery_pct(envelope["object"], reading.sensor_id),
        application=_application(message.topic, device),
    )


def _application(topic: str | None, device: dict[str, object]) -> str | None:
    """The application id: the topic's (the broker's ACL vouches for it), else the payload's."""
    fields = FORMAT.topic_fields(topic) if topic is not None else None
    if fields is not None:
        return fields["application_id"]
    app = device.get("applicationId")
    return app if isinstance(app, str) and app else None


def _check_topic(topic: str | None, dev_eui: str) -> None:
    if topic is None:
        return
    FORMAT.check_topic(topic)
    fields = FORMAT.topic_fields(topic)
    assert fields is not None
    if fields["dev_eui"].lower() != dev_eui:
        raise InvalidReading(
            "topic_mismatch",
            f"topic names device {fields['dev_eui']!r} but deviceInfo.devEui is {dev_eui!r}",
        )


def _time_s(envelope: dict[str, object], message: Message) -> float:
    if envelope.get("time") is not None:
        return parse_time_s(envelope["time"], what="time")
    rx_info = envelope.get("rxInfo")
    if isinstance(rx_info, list):
        for rx in rx_info:
            if isinstance(rx, dict) and rx.get("nsTime") is not None:
                return parse_time_s(rx["nsTime"], what="rxInfo.nsTime")
    return message.received_s


FORMAT = Format(
    name="chirpstack",
    title="ChirpStack v4 uplink",
    decode=decode,
    default_interval_s=60.0,  # LoRaWAN sound sensors commonly report every minute
    topics=("application/{application_id}/device/{dev_eui}/event/up",),
    # the network server writes the topic; its other events (join, status, ...) are normal traffic, not ours
    subscriptions=("application/+/device/+/event/up",),
)
