"""ChirpStack and The Things Stack decoders report the uplink's application (#13 ownership): the topic's
when there is one (the broker's ACL vouches for the topic), else the payload's (HTTP integrations)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from noiselab.ingest.decoders import Message, decode

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payloads"
CS_BODY = (FIXTURES / "chirpstack-v4-ws302.json").read_bytes()
CS_APP = json.loads(CS_BODY)["deviceInfo"]["applicationId"]
TTS_BODY = (FIXTURES / "tts-v3-ws302.json").read_bytes()


def _decode(fmt: str, topic: str | None, body: bytes) -> str | None:
    now = time.time() + 10 * 365 * 86400  # the fixtures' times are not in the future
    return decode(fmt, Message(topic=topic, headers={}, body=body, received_s=now)).application


def test_chirpstack_topic_else_payload() -> None:
    topic = "application/other-app/device/24e124743c210001/event/up"
    assert _decode("chirpstack", topic, CS_BODY) == "other-app"
    assert _decode("chirpstack", None, CS_BODY) == CS_APP
    body = json.loads(CS_BODY)
    for missing in (None, "", 17):
        body["deviceInfo"]["applicationId"] = missing
        assert _decode("chirpstack", None, json.dumps(body).encode()) is None


def test_tts_topic_with_tenant_else_payload() -> None:
    assert _decode("tts", "v3/silent-city@ttn/devices/ws302-ishoj-2/up", TTS_BODY) == "silent-city@ttn"
    assert _decode("tts", None, TTS_BODY) == "silent-city"
    body = json.loads(TTS_BODY)
    for ids in ({}, {"application_id": 5}, "silent-city"):
        body["end_device_ids"]["application_ids"] = ids
        assert _decode("tts", None, json.dumps(body).encode()) is None


@pytest.mark.parametrize(
    ("fmt", "topic", "fixture"),
    [
        ("native", "noise/acme/vb-01/levels", "native-single.json"),
        ("sensorthings", "v1.1/Datastreams(17)/Observations", "sensorthings-observation.json"),
    ],
)
def test_formats_without_applications_report_none(fmt: str, topic: str, fixture: str) -> None:
    body = (FIXTURES / fixture).read_bytes()
    now = time.time() + 10 * 365 * 86400
    decoded = decode(fmt, Message(topic=topic, headers={}, body=body, received_s=now))
    assert decoded.readings and decoded.application is None
