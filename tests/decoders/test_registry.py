"""The registry, topic routing, and the body-level limits every format shares."""

from __future__ import annotations

import json

import pytest

from noiselab.domain.errors import InvalidReading, UnknownFormat
from noiselab.ingest.decoders import (
    FORMATS,
    MAX_BODY_BYTES,
    Decoded,
    Message,
    SensorRules,
    decode,
    format_for_topic,
)
from tests.decoders.conftest import message, refused

NOW = 1_781_100_000.0


def test_formats_are_the_spec_names() -> None:
    assert FORMATS == ("native", "chirpstack", "tts", "sensor-community", "ngsi", "sensorthings")


def test_unknown_format_raises() -> None:
    with pytest.raises(UnknownFormat, match="known formats"):
        decode("influx-line", message(b"{}", received_s=NOW))


@pytest.mark.parametrize(
    ("topic", "fmt"),
    [
        ("noise/acme/s-1/levels", "native"),
        ("application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up", "chirpstack"),
        ("v3/silent-city@ttn/devices/ws302-ishoj-2/up", "tts"),
        ("v3/silent-city/devices/ws302-ishoj-2/up", "tts"),
        ("v1.1/Datastreams(17)/Observations", "sensorthings"),
        ("v1.0/Datastreams(17)/Observations", "sensorthings"),
        ("application/x/device/y/event/status", None),
        ("v3/app@ttn/devices/d/join", None),
        ("noise/acme/s-1/status", None),
        ("noise/acme/levels", None),
        ("v1.1/Observations", None),
        ("", None),
    ],
)
def test_format_for_topic(topic: str, fmt: str | None) -> None:
    assert format_for_topic(topic) == fmt


def test_default_rules_are_documented_values() -> None:
    rules = SensorRules()
    assert rules.interval_for("x", "native") == 1.0
    assert rules.interval_for("x", "chirpstack") == 60.0
    assert rules.interval_for("x", "tts") == 60.0
    assert rules.interval_for("x", "sensor-community") == 145.0
    assert rules.interval_for("x", "sensorthings") == 60.0
    assert SensorRules(intervals_s={"x": 10.0}).interval_for("x", "tts") == 10.0
    assert rules.start_for("x", 100.0, 10.0) == 90.0
    assert SensorRules(anchors={"x": "start"}).start_for("x", 100.0, 10.0) == 100.0


def _topic(fmt: str) -> str | None:
    return {
        "native": "noise/acme/s-1/levels",
        "chirpstack": "application/a/device/0101/event/up",
        "tts": "v3/app@ttn/devices/dev1/up",
        "sensorthings": "v1.1/Datastreams(1)/Observations",
    }.get(fmt)


def _msg(fmt: str, body: bytes) -> Message:
    return message(body, topic=_topic(fmt), headers={"x-sensor": "esp8266-1"}, received_s=NOW)


BAD_BODIES = [
    (b"", "empty_body"),
    (b"   \n", "empty_body"),
    (b"\xff\xfe{}", "bad_encoding"),
    (b'{"laeq": "\xe9"}', "bad_encoding"),
    (b"{", "bad_json"),
    (b"{'laeq': 50}", "bad_json"),
    (b'{"a": 1} trailing', "bad_json"),
    (b"1" * 5000, "bad_json"),  # beyond Python's int-digits limit: a ValueError, not a crash
    (b"42", "bad_shape"),
    (b"-1.5e3", "bad_shape"),
    (b'"text"', "bad_shape"),
    (b"null", "bad_shape"),
    (b"true", "bad_shape"),
    (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "too_deep"),
    (b"[" * 40 + b"]" * 40, "too_deep"),
    (b"[" * 500 + b"]" * 500, "too_deep"),
    (b" " * (MAX_BODY_BYTES + 1), "too_large"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("body", "reason"), BAD_BODIES, ids=lambda v: str(v)[:20])
def test_unreadable_bodies_are_refused_with_a_reason(fmt: str, body: bytes, reason: str) -> None:
    assert refused(fmt, _msg(fmt, body)).reason == reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_array_is_refused(fmt: str) -> None:
    err = refused(fmt, _msg(fmt, b"[]"))
    assert err.reason in ("no_readings", "bad_shape")


@pytest.mark.parametrize("fmt", FORMATS)
def test_body_exactly_at_the_limit_is_parsed(fmt: str) -> None:
    body = json.dumps({"pad": "x" * (MAX_BODY_BYTES - 20)}).encode()
    body = body + b" " * (MAX_BODY_BYTES - len(body))
    assert len(body) == MAX_BODY_BYTES
    with pytest.raises(InvalidReading) as info:
        decode(fmt, _msg(fmt, body))
    assert info.value.reason != "too_large"


def test_a_utf8_bom_is_tolerated() -> None:
    body = "\ufeff".encode() + b'{"ts": 1781100000, "laeq": 50}'
    out = decode("native", message(body, topic="noise/acme/s-1/levels", received_s=NOW))
    assert isinstance(out, Decoded) and out.readings[0].laeq == 50.0


def test_every_reason_in_the_code_is_listed_and_documented() -> None:
    import re
    from pathlib import Path

    import noiselab.ingest.decoders as package
    from noiselab.ingest.decoders import REASONS, UNKNOWN_FORMAT

    root = Path(package.__file__).resolve().parent
    sources = [*root.glob("*.py"), root.parent.parent / "noiselab" / "domain" / "readings.py"]
    used = set()
    for path in sources:
        used |= set(re.findall(r'InvalidReading\(\s*"([a-z_]+)"', path.read_text()))
    assert used <= set(REASONS), used - set(REASONS)
    assert len(set(REASONS)) == len(REASONS)
    docs = (root.parent.parent / "docs" / "vendors.md").read_text()
    for reason in (*REASONS, UNKNOWN_FORMAT):
        assert f"`{reason}`" in docs, reason
