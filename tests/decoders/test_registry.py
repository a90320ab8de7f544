"""The registry, topic routing, and the body-level limits every format shares."""

from __future__ import annotations

import json

import pytest

from noiselab.domain.errors import InvalidReading, UnknownFormat
from noiselab.ingest.decoders import (
    BY_NAME,
    DECLARATIONS,
    DEFAULT_INTERVALS_S,
    FORMATS,
    MAX_BODY_BYTES,
    MQTT_FORMATS,
    Decoded,
    Message,
    SensorRules,
    decode,
    format_for_topic,
    parse_prefixes,
    route,
    subscriptions,
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
        # a wrong shape under a known root is still routed, so that the decoder refuses it as bad_topic
        ("noise/acme/s-1/status", "native"),
        ("noise/acme/levels", "native"),
        ("noise/acme/x/y/z", "native"),
        ("v1.1/Observations", "sensorthings"),
        ("v1.0/Datastream(17)/Observations", "sensorthings"),
        # the network servers' other events are normal traffic: not subscribed, not routed
        ("application/x/device/y/event/status", None),
        ("v3/app@ttn/devices/d/join", None),
        ("noisy/acme/s-1/levels", None),
        ("bridge/noise/acme/s-1/levels", None),
        ("", None),
    ],
)
def test_format_for_topic(topic: str, fmt: str | None) -> None:
    assert format_for_topic(topic) == fmt


@pytest.mark.parametrize(
    "topic", ["noise/acme/x/y/z", "noise/acme/levels", "noise/acme/x/noise/rival/s/levels", "noise//s/levels"]
)
def test_a_wrong_native_shape_is_a_bad_topic_and_names_no_vendor(topic: str) -> None:
    found = route(topic)
    assert found is not None and found.format == "native" and found.fields is None
    err = refused("native", message(b'{"ts": 1781100000, "laeq": 50}', topic=topic, received_s=NOW))
    assert err.reason == "bad_topic" and "noise/{vendor}/{sensor_id}/levels" in err.detail


def test_bridge_prefixes_route_every_mqtt_format() -> None:
    prefixes = parse_prefixes(" bridge/tts/ , ingest/os2iot")
    assert prefixes == ("", "bridge/tts/", "ingest/os2iot/")
    for fmt in MQTT_FORMATS:
        inner = _topic(fmt)
        assert inner is not None
        for prefix in prefixes:
            found = route(prefix + inner, prefixes)
            assert found is not None and (found.format, found.topic, found.prefix) == (fmt, inner, prefix)
            assert found.fields is not None
    assert route("elsewhere/noise/acme/s-1/levels", prefixes) is None
    assert route("bridge/tts/noise/a/b/levels", ("",)) is None  # a prefix not configured is not stripped
    native_route = route("bridge/tts/noise/acme/s-1/levels", prefixes)
    assert native_route is not None and native_route.fields == {"vendor": "acme", "sensor_id": "s-1"}


@pytest.mark.parametrize("bad", ["a/+/b", "#", "$SYS", "a//b", "x\0"])
def test_a_prefix_with_wildcards_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        parse_prefixes(bad)


def test_subscriptions_are_derived_from_the_declarations() -> None:
    subs = subscriptions()
    assert subs == [s for f in DECLARATIONS for s in f.subscriptions]
    assert {"noise/#", "v1.0/#", "v1.1/#", "application/+/device/+/event/up", "v3/+/devices/+/up"} == set(
        subs
    )
    shared = subscriptions(["native"], parse_prefixes("b"), "noiselab")
    assert shared == ["$share/noiselab/noise/#", "$share/noiselab/b/noise/#"]
    with pytest.raises(ValueError, match="unknown MQTT source"):
        subscriptions(["ngsi"])  # HTTP only
    with pytest.raises(ValueError, match="unknown MQTT source"):
        subscriptions(["zigbee"])


def test_every_declared_topic_shape_is_covered_by_its_subscriptions() -> None:
    for f in DECLARATIONS:
        assert bool(f.topics) == f.mqtt, f.name
        for shape in f.topics:
            example = shape.replace("{", "").replace("}", "")
            assert format_for_topic(example) == f.name
            assert f.topic_fields(example) is not None


def test_default_rules_are_documented_values() -> None:
    rules = SensorRules()
    assert DEFAULT_INTERVALS_S == {
        "native": 1.0,
        "chirpstack": 60.0,
        "tts": 60.0,
        "sensor-community": 145.0,
        "ngsi": 60.0,
        "sensorthings": 60.0,
    }
    for f in DECLARATIONS:
        assert rules.interval_for("x", f) == f.default_interval_s
    tts = BY_NAME["tts"]
    assert SensorRules(intervals_s={"x": 10.0}).interval_for("x", tts) == 10.0
    assert SensorRules(default_intervals_s={"tts": 30.0}).interval_for("x", tts) == 30.0
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
    from noiselab.ingest.decoders import REASONS, SHELL_REASONS, UNKNOWN_FORMAT

    root = Path(package.__file__).resolve().parent
    sources = [*root.glob("*.py"), root.parent.parent / "noiselab" / "domain" / "readings.py"]
    used = set()
    for path in sources:
        used |= set(re.findall(r'InvalidReading\(\s*"([a-z_]+)"', path.read_text()))
    assert used <= set(REASONS), used - set(REASONS)
    assert len(set(REASONS)) == len(REASONS)
    docs = (root.parent.parent / "docs" / "vendors.md").read_text()
    shells = [*root.parent.glob("*.py"), *(root.parent.parent / "api").rglob("*.py")]
    for path in shells:
        used |= set(re.findall(r'InvalidReading\(\s*"([a-z_]+)"', path.read_text()))
    assert used <= set(REASONS) | set(SHELL_REASONS), used - set(REASONS) - set(SHELL_REASONS)
    for reason in (*REASONS, *SHELL_REASONS, UNKNOWN_FORMAT):
        assert f"`{reason}`" in docs, reason
