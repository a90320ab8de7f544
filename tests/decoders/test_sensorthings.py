"""OGC SensorThings Observations: datastream ids, interval and instant phenomenonTime."""

from __future__ import annotations

import pytest

from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import SensorRules
from tests.decoders.conftest import fixture_json, message, ms, refused, run, utc_s

TOPIC = "v1.1/Datastreams(17)/Observations"
NOW = utc_s(2026, 6, 10, 11, 2, 0)
T11 = utc_s(2026, 6, 10, 11, 0, 0)
A, B = "2026-06-10T11:00:00Z", "2026-06-10T11:01:00Z"


def sta(body: object, *, topic: str | None = TOPIC, rules: SensorRules | None = None):
    return run("sensorthings", message(body, topic=topic, received_s=NOW), rules)


def test_fixture_with_an_interval_phenomenon_time() -> None:
    out = sta(fixture_json("sensorthings-observation.json"))
    assert out.refused == []
    assert out.readings == [
        Reading(
            sensor_id="datastream-17", start_ms=ms(T11), interval_s=60.0, laeq=61.4, source="sensorthings"
        )
    ]


def test_registered_datastream_gives_the_sensor() -> None:
    rules = SensorRules(datastreams={"17": "glostrup-2"})
    assert (
        sta(fixture_json("sensorthings-observation.json"), rules=rules).readings[0].sensor_id == "glostrup-2"
    )


def test_an_instant_ends_the_interval_unless_the_rule_says_start() -> None:
    body = {"phenomenonTime": "2026-06-10T11:01:00Z", "result": 55}
    assert sta(body).readings[0].start_ms == ms(T11)
    rules = SensorRules(intervals_s={"datastream-17": 1.0}, anchors={"datastream-17": "start"})
    (r,) = sta(body, rules=rules).readings
    assert (r.start_ms, r.interval_s) == (ms(T11 + 60), 1.0)


def test_result_time_is_the_fallback() -> None:
    assert sta({"resultTime": "2026-06-10T11:01:00Z", "result": 55}).readings[0].start_ms == ms(T11)


def test_datastream_from_the_body_and_v1_0_topics() -> None:
    body = {
        "phenomenonTime": "2026-06-10T11:00:00Z/2026-06-10T11:01:00Z",
        "result": 50,
        "Datastream": {"@iot.id": 5},
    }
    assert sta(body, topic=None).readings[0].sensor_id == "datastream-5"
    assert sta(body, topic="v1.0/Datastreams(5)/Observations").readings[0].sensor_id == "datastream-5"
    assert (
        sta(body | {"Datastream": {"@iot.id": "abc"}}, topic=None).readings[0].sensor_id == "datastream-abc"
    )
    quoted = sta(body | {"Datastream": {"@iot.id": "ab"}}, topic="v1.1/Datastreams('ab')/Observations")
    assert quoted.readings[0].sensor_id == "datastream-ab"


def test_observation_id_is_the_dedupe_id_and_arrays_refuse_items_one_by_one() -> None:
    good = {"phenomenonTime": "2026-06-10T11:00:00Z/2026-06-10T11:01:00Z", "result": 50, "@iot.id": 991}
    out = sta([good, good | {"result": "50"}, "x"])
    assert [r.dedupe_id for r in out.readings] == ["991"]
    assert [(e.index, e.reason) for e in out.refused] == [(1, "bad_type"), (2, "bad_type")]


@pytest.mark.parametrize(
    ("body", "topic", "reason"),
    [
        ({"phenomenonTime": "2026-06-10T11:00:00Z/2026-06-10T11:01:00Z"}, TOPIC, "missing_field"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": {"laeq": 50}}, TOPIC, "bad_type"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 5}, TOPIC, "out_of_range"),
        ({"phenomenonTime": "2026-06-10T11:00:00", "result": 50}, TOPIC, "time_without_zone"),
        ({"phenomenonTime": f"{A}/2026-06-10T11:00:00", "result": 50}, TOPIC, "time_without_zone"),
        ({"phenomenonTime": f"{B}/{A}", "result": 50}, TOPIC, "bad_interval"),
        ({"phenomenonTime": "/", "result": 50}, TOPIC, "bad_time"),
        ({"phenomenonTime": "2026-06-10T12:00:00Z", "result": 50}, TOPIC, "in_future"),
        ({"result": 50}, TOPIC, "missing_field"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 50}, None, "missing_field"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 50, "Datastream": {"@iot.id": 9}}, TOPIC,
         "topic_mismatch"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 50, "Datastream": {"@iot.id": None}}, None,
         "bad_type"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 50, "Datastream": 9}, None, "bad_type"),
        ({"phenomenonTime": "2026-06-10T11:00:00Z", "result": 50, "Datastream": {"@iot.id": "a b"}}, None,
         "bad_sensor_id"),
    ],
)  # fmt: skip
def test_refusals(body: object, topic: str | None, reason: str) -> None:
    assert refused("sensorthings", message(body, topic=topic, received_s=NOW)).reason == reason
