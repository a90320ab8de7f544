"""Native readings (SPEC §3): single, batch, array; MQTT topic and HTTP body sensor ids."""

from __future__ import annotations

import json

import pytest

from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import SensorRules
from tests.decoders.conftest import fixture_bytes, message, ms, refused, run, utc_s

TOPIC = "noise/acme/sdr-1/levels"
T0 = utc_s(2026, 6, 10, 7, 0, 0)
NOW = T0 + 60


def native(body: object, *, topic: str | None = TOPIC, now: float = NOW, rules: SensorRules | None = None):
    return run("native", message(body, topic=topic, received_s=now), rules)


def test_single_fixture() -> None:
    out = run("native", message(fixture_bytes("native-single.json"), topic=TOPIC, received_s=NOW))
    assert out.refused == []
    assert out.readings == [
        Reading(
            sensor_id="sdr-1",
            start_ms=ms(T0),
            interval_s=1.0,
            laeq=58.2,
            lafmax=66.0,
            lafmin=49.1,
            lcpeak=88.0,
        )
    ]


def test_batch_fixture_spaces_readings_by_interval_and_honours_the_offset() -> None:
    start = utc_s(2026, 6, 10, 5, 0, 0)  # 07:00+02:00
    out = run("native", message(fixture_bytes("native-batch.json"), topic=TOPIC, received_s=NOW))
    assert out.refused == []
    assert [r.start_ms for r in out.readings] == [ms(start + i) for i in range(5)]
    assert [r.laeq for r in out.readings] == [58.2, 58.9, 61.0, 63.4, 59.7]
    assert [r.lafmax for r in out.readings] == [63.1, 64.0, 70.2, 71.9, 62.5]
    assert all(r.lafmin is None and r.lcpeak is None and r.interval_s == 1.0 for r in out.readings)


def test_array_fixture_with_glossary_case_and_epoch_seconds() -> None:
    out = run("native", message(fixture_bytes("native-glossary-case.json"), topic=TOPIC, received_s=NOW))
    assert out.refused == []
    assert [(r.start_ms, r.laeq, r.lafmax) for r in out.readings] == [
        (1781074800000, 55.0, 61.2),
        (1781074801000, 55.4, 60.8),
    ]


def test_http_takes_the_sensor_id_from_the_body() -> None:
    body = json.loads(fixture_bytes("native-single.json")) | {"sensor_id": "vb-7"}
    (reading,) = native(body, topic=None).readings
    assert reading.sensor_id == "vb-7"


def test_http_without_sensor_id_is_refused() -> None:
    err = refused("native", message(fixture_bytes("native-single.json"), received_s=NOW))
    assert err.reason == "missing_field" and "sensor_id" in err.detail


def test_http_batch_without_sensor_id_refuses_the_whole_message() -> None:
    err = refused("native", message(fixture_bytes("native-batch.json"), received_s=NOW))
    assert err.reason == "missing_field"


def test_http_array_items_each_need_a_sensor_id() -> None:
    body = [{"ts": T0, "laeq": 50, "sensor_id": "a"}, {"ts": T0, "laeq": 50}]
    out = native(body, topic=None)
    assert [r.sensor_id for r in out.readings] == ["a"]
    assert [(e.index, e.reason) for e in out.refused] == [(1, "missing_field")]


def test_a_body_sensor_id_that_disagrees_with_the_topic_is_refused() -> None:
    assert native({"ts": T0, "laeq": 50, "sensor_id": "sdr-1"}).readings[0].sensor_id == "sdr-1"
    err = refused(
        "native", message({"ts": T0, "laeq": 50, "sensor_id": "other"}, topic=TOPIC, received_s=NOW)
    )
    assert err.reason == "topic_mismatch"


@pytest.mark.parametrize("topic", ["noise/acme/levels", "foo/bar", "noise/acme/bad id/levels"])
def test_bad_topics(topic: str) -> None:
    err = refused("native", message({"ts": T0, "laeq": 50}, topic=topic, received_s=NOW))
    assert err.reason in ("bad_topic", "bad_sensor_id")


def test_interval_defaults_to_the_registered_one_then_one_second() -> None:
    assert native({"ts": T0, "laeq": 50}).readings[0].interval_s == 1.0
    rules = SensorRules(intervals_s={"sdr-1": 60.0})
    assert native({"ts": T0, "laeq": 50}, rules=rules).readings[0].interval_s == 60.0
    assert native({"ts": T0, "laeq": 50, "interval_s": 10}, rules=rules).readings[0].interval_s == 10.0


def test_source_ids_are_mapped_through_the_rules() -> None:
    rules = SensorRules(sensor_ids={"sdr-1": "vallensbaek-ringvej"})
    assert native({"ts": T0, "laeq": 50}, rules=rules).readings[0].sensor_id == "vallensbaek-ringvej"


def test_start_is_a_synonym_of_ts_but_not_both() -> None:
    assert native({"start": T0, "laeq": 50}).readings[0].start_ms == ms(T0)
    assert refused(
        "native", message({"ts": T0, "start": T0, "laeq": 50}, topic=TOPIC, received_s=NOW)
    ).reason == ("duplicate_field")


def test_keys_differing_only_in_case_are_refused() -> None:
    err = refused("native", message({"ts": T0, "laeq": 50, "LAeq": 51}, topic=TOPIC, received_s=NOW))
    assert err.reason == "duplicate_field"


def test_unknown_keys_are_ignored() -> None:
    assert native({"ts": T0, "laeq": 50, "battery": 99, "lzeq": 70}).readings[0].laeq == 50.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"ts": "2026-06-10T07:00:00Z"}, "missing_field"),
        ({"laeq": 50}, "missing_field"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": "50"}, "bad_type"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": True}, "bad_type"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": 14.9}, "out_of_range"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": 145.1}, "out_of_range"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": 50, "lafmax": 200}, "out_of_range"),
        ({"ts": "2026-06-10T07:00:00Z", "laeq": 50, "lcpeak": "88"}, "bad_type"),
        ({"ts": "2026-06-10T07:00:00", "laeq": 50}, "time_without_zone"),
        ({"ts": "10/06/2026 07:00", "laeq": 50}, "bad_time"),
        ({"ts": 1781074800000, "laeq": 50}, "bad_time"),  # milliseconds, not seconds
        ({"ts": "2026-06-10T08:00:00Z", "laeq": 50}, "in_future"),
        ({"ts": T0, "laeq": 50, "interval_s": 0}, "bad_interval"),
        ({"ts": T0, "laeq": 50, "interval_s": "1"}, "bad_type"),
    ],
)
def test_bad_single_readings(body: dict[str, object], reason: str) -> None:
    assert refused("native", message(body, topic=TOPIC, received_s=NOW)).reason == reason


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_json_nan_and_infinity_literals_are_refused(literal: bytes) -> None:
    body = b'{"ts": 1781074800, "laeq": ' + literal + b"}"
    assert refused("native", message(body, topic=TOPIC, received_s=NOW)).reason == "not_finite"
    ts_body = b'{"ts": ' + literal + b', "laeq": 50}'
    assert refused("native", message(ts_body, topic=TOPIC, received_s=NOW)).reason == "bad_time"


def test_one_bad_value_in_a_batch_refuses_only_that_item() -> None:
    laeq: list[object] = [50.0 + i / 10 for i in range(60)]
    laeq[7], laeq[30], laeq[42] = 999, None, "x"
    lafmax: list[object] = [70.0] * 60
    lafmax[50] = None  # an absent max is fine
    out = native({"start": T0, "interval_s": 1, "laeq": laeq, "lafmax": lafmax})
    assert [(e.index, e.reason) for e in out.refused] == [
        (7, "out_of_range"),
        (30, "missing_field"),
        (42, "bad_type"),
    ]
    assert len(out.readings) == 57
    assert out.readings[0].start_ms == ms(T0) and out.readings[-1].start_ms == ms(T0 + 59)
    assert [r.lafmax for r in out.readings if r.start_ms == ms(T0 + 50)] == [None]


def test_batch_readings_in_the_future_are_refused_one_by_one() -> None:
    out = native({"start": NOW, "interval_s": 300, "laeq": [50, 50, 50, 50]})
    assert len(out.readings) == 3 and [(e.index, e.reason) for e in out.refused] == [(3, "in_future")]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"start": T0, "interval_s": 1, "laeq": [50, 51], "lafmax": [60]}, "length_mismatch"),
        ({"start": T0, "interval_s": 1, "laeq": [50, 51], "lafmax": 60}, "bad_type"),
        ({"start": T0, "interval_s": -1, "laeq": [50, 51]}, "bad_interval"),
        ({"start": T0, "interval_s": None, "laeq": [50]}, None),  # null = default, accepted
        ({"start": "2026-06-10T07:00:00", "interval_s": 1, "laeq": [50]}, "time_without_zone"),
        ({"interval_s": 1, "laeq": [50]}, "missing_field"),
        ({"start": T0, "interval_s": 1, "laeq": []}, "no_readings"),
        ({"start": T0, "interval_s": float("nan"), "laeq": [50]}, "bad_interval"),
    ],
)
def test_bad_batch_headers_refuse_the_whole_batch(body: dict[str, object], reason: str | None) -> None:
    if reason is None:
        assert len(native(body).readings) == 1
    else:
        assert refused("native", message(body, topic=TOPIC, received_s=NOW)).reason == reason


def test_array_items_that_are_not_objects_are_refused_individually() -> None:
    out = native([{"ts": T0, "laeq": 50}, 42, [], {"ts": T0, "laeq": "x"}])
    assert len(out.readings) == 1
    assert [(e.index, e.reason) for e in out.refused] == [(1, "bad_type"), (2, "bad_type"), (3, "bad_type")]
