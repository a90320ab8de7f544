"""FIWARE NoiseLevelObserved: v2 key-values, v2 normalized, NGSI-LD, arrays and notifications."""

from __future__ import annotations

import copy

import pytest

from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import SensorRules
from tests.decoders.conftest import fixture_json, message, ms, refused, run, utc_s

NOW = utc_s(2026, 6, 10, 12, 0, 0)
T11 = utc_s(2026, 6, 10, 11, 0, 0)


def ngsi(body: object, rules: SensorRules | None = None):
    return run("ngsi", message(body, received_s=NOW), rules)


def v2() -> dict[str, object]:
    body = copy.deepcopy(fixture_json("ngsi-v2-keyvalues.json"))
    assert isinstance(body, dict)
    return body


def test_v2_keyvalues_fixture() -> None:
    out = ngsi(fixture_json("ngsi-v2-keyvalues.json"))
    assert out.refused == []
    assert out.readings == [
        Reading(sensor_id="vb-007", start_ms=ms(T11), interval_s=60.0, laeq=67.8, lafmax=84.5, source="ngsi")
    ]


def test_ld_normalized_fixture() -> None:
    out = ngsi(fixture_json("ngsi-ld-normalized.json"))
    assert out.readings == [
        Reading(
            sensor_id="vb-007", start_ms=ms(T11 + 60), interval_s=60.0, laeq=66.1, lafmax=79.0, source="ngsi"
        )
    ]


def test_v2_normalized() -> None:
    body = {
        "id": "NoiseLevelObserved-vb-008",
        "type": "NoiseLevelObserved",
        "LAeq": {"type": "Number", "value": 67.8, "metadata": {}},
        "LAmax": {"type": "Number", "value": 80.1},
        "dateObservedFrom": {"type": "DateTime", "value": "2026-06-10T11:00:00+02:00"},
        "dateObservedTo": {"type": "DateTime", "value": "2026-06-10T11:15:00+02:00"},
        "refDevice": {"type": "Relationship", "value": "urn:ngsi-ld:Device:vb-008"},
    }
    (reading,) = ngsi(body).readings
    assert (reading.sensor_id, reading.start_ms, reading.interval_s, reading.laeq, reading.lafmax) == (
        "vb-008", ms(T11 - 7200), 900.0, 67.8, 80.1,
    )  # fmt: skip


def test_entity_id_is_the_fallback_sensor_id() -> None:
    body = v2()
    del body["refDevice"]
    body["id"] = "urn:ngsi-ld:NoiseLevelObserved:vb-009"
    assert ngsi(body).readings[0].sensor_id == "vb-009"
    rules = SensorRules(sensor_ids={"vb-009": "ishoj-9"})
    assert ngsi(body, rules).readings[0].sensor_id == "ishoj-9"


def test_entity_ids_with_other_characters_are_refused_not_rewritten() -> None:
    body = v2()
    del body["refDevice"]  # id is "NoiseLevelObserved-vb-007-2026-06-10T11:00:00Z"
    err = refused("ngsi", message(body, received_s=NOW))
    assert err.reason == "bad_sensor_id"


def test_arrays_and_notifications_refuse_items_one_by_one() -> None:
    bad = v2() | {"LAeq": 200}
    for body in ([v2(), bad, v2()], {"subscriptionId": "s1", "data": [v2(), bad, v2()]}):
        out = ngsi(body)
        assert len(out.readings) == 2
        assert [(e.index, e.reason) for e in out.refused] == [(1, "out_of_range")]
    ld_notification = {"id": None, "type": "Notification", "data": [fixture_json("ngsi-ld-normalized.json")]}
    del ld_notification["id"]
    assert len(ngsi(ld_notification).readings) == 1


def test_time_rules_when_from_or_to_is_missing() -> None:
    only_from = v2()
    del only_from["dateObservedTo"]
    (r,) = ngsi(only_from, SensorRules(intervals_s={"vb-007": 300.0})).readings
    assert (r.start_ms, r.interval_s) == (ms(T11), 300.0)
    only_to = v2()
    del only_to["dateObservedFrom"]
    assert ngsi(only_to).readings[0].start_ms == ms(T11 + 60 - 60)
    instant = v2()
    del instant["dateObservedFrom"], instant["dateObservedTo"]
    instant["dateObserved"] = "2026-06-10T11:30:00Z"
    assert ngsi(instant).readings[0].start_ms == ms(T11 + 1800 - 60)
    rules = SensorRules(anchors={"vb-007": "start"})
    assert ngsi(instant, rules).readings[0].start_ms == ms(T11 + 1800)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"LAeq": None}, "no_laeq"),
        ({"LAeq": "67.8"}, "bad_type"),
        ({"LAeq": {"type": "Number", "value": None}}, "missing_field"),
        ({"LAeq": {"type": "Property", "value": 12}}, "out_of_range"),
        ({"type": "AirQualityObserved"}, "bad_entity_type"),
        ({"dateObservedFrom": "2026-06-10T11:00:00"}, "time_without_zone"),
        ({"dateObservedTo": "2026-06-10T10:59:00Z"}, "bad_interval"),
        ({"dateObservedFrom": None, "dateObservedTo": None}, "missing_field"),
        ({"dateObservedFrom": "2026-06-10T13:00:00Z", "dateObservedTo": "2026-06-10T13:01:00Z"}, "in_future"),
        ({"refDevice": ["a", "b"]}, "bad_type"),
        ({"refDevice": "urn:ngsi-ld:Device:"}, "bad_sensor_id"),
        ({"refDevice": None, "id": None}, "missing_field"),
    ],
)
def test_refusals(changes: dict[str, object], reason: str) -> None:
    body = v2()
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    assert refused("ngsi", message(body, received_s=NOW)).reason == reason


def test_notification_data_must_be_an_array() -> None:
    assert refused("ngsi", message({"data": {"x": 1}}, received_s=NOW)).reason == "bad_type"
