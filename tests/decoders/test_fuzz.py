"""Property tests: whatever arrives, a decoder answers with readings or InvalidReading, never a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noiselab.domain.errors import InvalidReading, UnknownFormat
from noiselab.ingest.decoders import FORMATS, Decoded, Message, SensorRules, decode
from tests.decoders.conftest import fixture_json

NOW = 1_781_100_000.0

TOPICS = st.sampled_from(
    [
        None,
        "noise/acme/s-1/levels",
        "noise/acme/s 1/levels",
        "application/a/device/24e124743c210001/event/up",
        "application/a/device/x/event/status",
        "v3/app@ttn/devices/dev1/up",
        "v1.1/Datastreams(17)/Observations",
        "v1.0/Datastreams('x')/Observations",
        "",
        "#",
    ]
)
HEADERS = st.one_of(st.just({}), st.fixed_dictionaries({"x-sensor": st.text(max_size=80)}))
FORMAT_NAMES = st.one_of(st.sampled_from(FORMATS), st.text(max_size=20))
RULES = st.sampled_from(
    [
        None,
        SensorRules(),
        SensorRules(intervals_s={"s-1": 0.0}, anchors={"s-1": "start", "dev1": "middle"}),
        SensorRules(sensor_ids={"dev1": "not a valid id"}, datastreams={"17": ""}),
    ]
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2026-06-10T07:00:00Z", "2026-06-10T07:00:00", "52.3", "nan", "LAeq", "/", "a/b"]),
)
KEY_NAMES = [
    "ts",
    "start",
    "interval_s",
    "laeq",
    "LAeq",
    "lafmax",
    "LAFmax",
    "lcpeak",
    "sensor_id",
    "deviceInfo",
    "devEui",
    "object",
    "time",
    "end_device_ids",
    "device_id",
    "uplink_message",
    "decoded_payload",
    "received_at",
    "simulated",
    "correlation_ids",
    "sensordatavalues",
    "value_type",
    "value",
    "id",
    "type",
    "refDevice",
    "dateObservedFrom",
    "dateObservedTo",
    "dateObserved",
    "data",
    "@value",
    "phenomenonTime",
    "resultTime",
    "result",
    "Datastream",
    "@iot.id",
    "rxInfo",
    "nsTime",
    "soundAvg",
]
KEYS = st.one_of(st.text(max_size=12), st.sampled_from(KEY_NAMES))
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=6), st.dictionaries(KEYS, children, max_size=8)),
    max_leaves=40,
)


def _answer(fmt: str, msg: Message, rules: SensorRules | None) -> None:
    try:
        out = decode(fmt, msg, rules=rules)
    except (InvalidReading, UnknownFormat):
        return
    assert isinstance(out, Decoded)
    for err in out.refused:
        assert isinstance(err, InvalidReading) and isinstance(err.index, int)
        assert err.reason and err.reason == err.reason.lower()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=FORMAT_NAMES, topic=TOPICS, headers=HEADERS, body=st.binary(max_size=300), rules=RULES)
def test_random_bytes_never_crash(
    fmt: str, topic: str | None, headers: dict[str, str], body: bytes, rules
) -> None:
    _answer(fmt, Message(topic, headers, body, NOW), rules)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(FORMATS), topic=TOPICS, headers=HEADERS, data=JSON, rules=RULES)
def test_random_json_never_crashes(
    fmt: str, topic: str | None, headers: dict[str, str], data: object, rules
) -> None:
    body = json.dumps(data).encode()  # NaN/Infinity literals included on purpose
    _answer(fmt, Message(topic, headers, body, NOW), rules)


FIXTURES = [
    ("native", "native-single.json"),
    ("native", "native-batch.json"),
    ("native", "native-glossary-case.json"),
    ("chirpstack", "chirpstack-v4-ws302.json"),
    ("tts", "tts-v3-elsys.json"),
    ("tts", "tts-v3-ws302.json"),
    ("sensor-community", "sensor-community-dnms.json"),
    ("ngsi", "ngsi-v2-keyvalues.json"),
    ("ngsi", "ngsi-ld-normalized.json"),
    ("sensorthings", "sensorthings-observation.json"),
]


def _mutate(value: object, path: list[int], replacement: object) -> object:
    """Replace one node of a fixture (chosen by ``path`` indices) with ``replacement``."""
    if not path:
        return replacement
    if isinstance(value, dict) and value:
        keys = list(value)
        key = keys[path[0] % len(keys)]
        return value | {key: _mutate(value[key], path[1:], replacement)}
    if isinstance(value, list) and value:
        i = path[0] % len(value)
        return [*value[:i], _mutate(value[i], path[1:], replacement), *value[i + 1 :]]
    return replacement


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(FIXTURES),
    path=st.lists(st.integers(min_value=0, max_value=20), max_size=5),
    replacement=JSON,
    topic=TOPICS,
    headers=HEADERS,
)
def test_mutated_fixtures_never_crash(
    case: tuple[str, str], path: list[int], replacement: object, topic: str | None, headers: dict[str, str]
) -> None:
    fmt, name = case
    body = json.dumps(_mutate(fixture_json(name), path, replacement)).encode()
    later = 1_790_000_000.0  # after every fixture's time, so mutations reach the level checks too
    _answer(fmt, Message(topic, headers or {"x-sensor": "esp8266-1"}, body, later), None)
