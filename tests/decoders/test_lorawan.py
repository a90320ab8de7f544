"""ChirpStack v4 and The Things Stack v3 envelopes, and the field-name mapping inside them."""

from __future__ import annotations

import copy
import itertools
import json

import pytest

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import SensorRules, parse_prefixes, route
from noiselab.ingest.decoders.fields import classify, level_of, map_levels
from tests.decoders.conftest import fixture_json, message, ms, refused, run, utc_s

CS_TOPIC = "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up"
CS_TIME = utc_s(2026, 6, 10, 9, 34, 15, micro=775023)
TTS_ELSYS_TOPIC = "v3/vallensbaek-noise@ttn/devices/ers-sound-kulturhus/up"
TTS_WS302_TOPIC = "v3/silent-city@ttn/devices/ws302-ishoj-2/up"


def chirpstack(body: object, *, topic: str | None = CS_TOPIC, rules: SensorRules | None = None):
    return run("chirpstack", message(body, topic=topic, received_s=CS_TIME + 1), rules)


def cs_body(**changes: object) -> dict[str, object]:
    body = copy.deepcopy(fixture_json("chirpstack-v4-ws302.json"))
    assert isinstance(body, dict)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


# -- ChirpStack ---------------------------------------------------------------------------------------


def test_chirpstack_fixture() -> None:
    out = chirpstack(fixture_json("chirpstack-v4-ws302.json"))
    assert out.refused == []
    (reading,) = out.readings
    assert reading == Reading(
        sensor_id="24e124743c210001", start_ms=ms(CS_TIME - 60), interval_s=60.0, laeq=47.4, lafmax=61.8,
        source="chirpstack",
    )  # fmt: skip
    assert reading.dedupe_id == "3ac7e3c4-4401-4b8d-9386-a5c902f9202d"


def test_chirpstack_devEui_is_lower_cased_and_mapped() -> None:
    body = cs_body()
    body["deviceInfo"]["devEui"] = "24E124743C210001"  # type: ignore[index]
    assert chirpstack(body).readings[0].sensor_id == "24e124743c210001"
    rules = SensorRules(sensor_ids={"24e124743c210001": "ringvej-1"}, intervals_s={"ringvej-1": 300.0})
    (reading,) = chirpstack(body, rules=rules).readings
    assert (reading.sensor_id, reading.interval_s, reading.start_ms) == (
        "ringvej-1",
        300.0,
        ms(CS_TIME - 300),
    )


def test_chirpstack_start_anchor_rule() -> None:
    rules = SensorRules(anchors={"24e124743c210001": "start"})
    assert chirpstack(cs_body(), rules=rules).readings[0].start_ms == ms(CS_TIME)


def test_chirpstack_time_falls_back_to_ns_time_then_receive_time() -> None:
    body = cs_body(time=None)
    body["rxInfo"][0]["nsTime"] = "2026-06-10T09:34:15Z"  # type: ignore[index]
    assert chirpstack(body).readings[0].start_ms == ms(utc_s(2026, 6, 10, 9, 33, 15))
    body = cs_body(time=None, rxInfo=None)
    out = run("chirpstack", message(body, topic=CS_TOPIC, received_s=CS_TIME + 5))
    assert out.readings[0].start_ms == ms(CS_TIME + 5 - 60)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"object": None}, "no_decoded_payload"),
        ({"object": [1, 2]}, "bad_type"),
        ({"object": {"battery": 100, "LAF": 57.5}}, "no_laeq"),
        ({"object": {"LCS": 60.0, "LCeq": 61.0, "LCSmax": 70.0}}, "no_laeq"),
        ({"object": {"LAeq": "47.4"}}, "bad_type"),
        ({"object": {"LAeq": 47.4, "LAFmax": 300}}, "out_of_range"),
        ({"deviceInfo": None}, "missing_field"),
        ({"deviceInfo": "x"}, "bad_type"),
        ({"deviceInfo": {"devEui": 5}}, "bad_type"),
        ({"deviceInfo": {"devEui": "24e124743c210002"}}, "topic_mismatch"),
        ({"time": "2026-06-10T09:34:15"}, "time_without_zone"),
        ({"time": "2026-06-10T10:34:15Z"}, "in_future"),
        ({"time": []}, "bad_time"),
    ],
)
def test_chirpstack_refusals(changes: dict[str, object], reason: str) -> None:
    assert (
        refused("chirpstack", message(cs_body(**changes), topic=CS_TOPIC, received_s=CS_TIME + 1)).reason
        == reason
    )


def test_no_laeq_names_the_fields_present() -> None:
    err = refused("chirpstack", message(cs_body(object={"LCS": 60.0, "LCeq": 61.0}), received_s=CS_TIME))
    assert "LCS" in err.detail and "LCeq" in err.detail and "weighting" in err.detail


def test_chirpstack_non_up_events_are_refused_and_bridged_topics_accepted() -> None:
    status = CS_TOPIC.replace("/event/up", "/event/status")
    assert refused("chirpstack", message(cs_body(), topic=status, received_s=CS_TIME)).reason == "bad_topic"
    # a bridge prefix is removed by routing (the collector does this) before the decoder sees the topic
    found = route("ingest/os2iot/" + CS_TOPIC, parse_prefixes("ingest/os2iot"))
    assert found is not None and found.format == "chirpstack" and found.topic == CS_TOPIC
    assert len(chirpstack(cs_body(), topic=found.topic).readings) == 1
    assert len(chirpstack(cs_body(), topic=None).readings) == 1
    for topic in ("some/other/topic", "ingest/os2iot/" + CS_TOPIC):  # no prefix configured: a wrong shape
        assert (
            refused("chirpstack", message(cs_body(), topic=topic, received_s=CS_TIME)).reason == "bad_topic"
        )


# -- The Things Stack ---------------------------------------------------------------------------------


def test_tts_elsys_fixture_maps_sound_avg_and_peak() -> None:
    ns_time = utc_s(2026, 6, 10, 12, 0, 0, micro=989586)
    out = run(
        "tts", message(fixture_json("tts-v3-elsys.json"), topic=TTS_ELSYS_TOPIC, received_s=ns_time + 1)
    )
    assert out.refused == []
    (reading,) = out.readings
    assert reading == Reading(
        sensor_id="ers-sound-kulturhus", start_ms=ms(ns_time - 60), interval_s=60.0, laeq=42.0, lafmax=49.0,
        source="tts",
    )  # fmt: skip
    assert reading.dedupe_id == "as:up:01HZX5T2Q4V9M3J8K7N6P5R4S3"


def test_tts_ws302_fixture() -> None:
    ns_time = utc_s(2026, 6, 10, 21, 15, 0, micro=400000)
    out = run("tts", message(fixture_json("tts-v3-ws302.json"), topic=TTS_WS302_TOPIC, received_s=ns_time))
    assert out.readings == [
        Reading(
            sensor_id="ws302-ishoj-2", start_ms=ms(ns_time - 60), interval_s=60.0, laeq=50.3, lafmax=58.6,
            source="tts",
        )
    ]  # fmt: skip
    assert out.readings[0].dedupe_id is None


def tts_body(**changes: object) -> dict[str, object]:
    body = copy.deepcopy(fixture_json("tts-v3-ws302.json"))
    assert isinstance(body, dict)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


NS = utc_s(2026, 6, 10, 21, 15, 1)


def test_tts_time_falls_back_to_the_application_server_time() -> None:
    body = tts_body()
    del body["uplink_message"]["received_at"]  # type: ignore[attr-defined]
    out = run("tts", message(body, received_s=NS))
    assert out.readings[0].start_ms == ms(utc_s(2026, 6, 10, 21, 14, 0, micro=500000))


def test_tts_simulated_uplinks_are_tagged() -> None:
    out = run("tts", message(tts_body(simulated=True), received_s=NS))
    assert out.readings[0].source == "tts-simulated"


def test_tts_webhook_body_decodes_without_topic() -> None:
    assert run("tts", message(tts_body(), received_s=NS)).readings[0].sensor_id == "ws302-ishoj-2"


@pytest.mark.parametrize(
    ("changes", "topic", "reason"),
    [
        ({"uplink_message": {"f_port": 85}}, None, "no_decoded_payload"),
        ({"uplink_message": None}, None, "missing_field"),
        ({"uplink_message": 3}, None, "bad_type"),
        ({"uplink_message": {"decoded_payload": {"battery": 98}}}, None, "no_laeq"),
        ({"uplink_message": {"decoded_payload": {"LAeq": float("nan")}}}, None, "not_finite"),
        (
            {"uplink_message": {"decoded_payload": {"LAeq": 50}, "received_at": "2026-06-10 21:15"}},
            None,
            "time_without_zone",
        ),
        ({"uplink_message": {"decoded_payload": {"LAeq": 50}, "received_at": "yesterday"}}, None, "bad_time"),
        ({"end_device_ids": None}, None, "missing_field"),
        ({"end_device_ids": {"device_id": "bad id!"}}, None, "bad_sensor_id"),
        ({}, "v3/app@ttn/devices/other-device/up", "topic_mismatch"),
        ({}, "v3/app@ttn/devices/ws302-ishoj-2/join", "bad_topic"),
    ],
)
def test_tts_refusals(changes: dict[str, object], topic: str | None, reason: str) -> None:
    assert refused("tts", message(tts_body(**changes), topic=topic, received_s=NS)).reason == reason


# -- field names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("LAeq", "laeq"),
        ("LAFeq", "laeq"),
        ("LA_eq", "laeq"),
        ("LAFmax", "lafmax"),
        ("LAFMax", "lafmax"),
        ("LAmax", "lafmax"),
        ("LA_max", "lafmax"),
        ("LAFmin", "lafmin"),
        ("LA_min", "lafmin"),
        ("LCpeak", "lcpeak"),
        ("LCPeak", "lcpeak"),
        ("soundAvg", "laeq"),
        ("soundPeak", "lafmax"),
        ("LAF", None),
        ("LAS", None),
        ("LASmax", None),
        ("LAImax", None),
        ("LCeq", None),
        ("LZeq", None),
        ("LCSmax", None),
        ("laeq", None),
        ("LAeq_d", None),
        ("LAeq1000", None),
        ("LApeak", None),
        ("battery", None),
    ],
)
def test_field_names_map_by_pattern(name: str, level: str | None) -> None:
    target = level_of(name)
    assert (target[0] if target else None) == level


def test_classify_splits_the_glossary_name() -> None:
    assert classify("LCSmax") == ("C", "S", "max")
    assert classify("LAeq") == ("A", "", "eq")
    assert classify("Leq") is None


def test_the_most_specific_name_wins_whatever_the_order() -> None:
    """LAeq over LAFeq over Elsys soundAvg; LAFmax over LAmax over soundPeak; LAFmin over LAmin: in all 720
    orders of the fields."""
    fields = [
        ("LAmax", 70.0),
        ("LAFmax", 71.0),
        ("soundAvg", 40),
        ("LAeq", 50.0),
        ("LAFeq", 49.0),
        ("soundPeak", 80),
    ]
    for order in itertools.permutations(fields):
        assert map_levels(dict(order)) == {"laeq": 50.0, "lafmax": 71.0}, order
    for order in itertools.permutations(
        [("LAmin", 30.0), ("LAFmin", 31.0), ("LCPeak", 90.0), ("LASeq", 45.0)]
    ):
        assert map_levels(dict(order)) == {"lafmin": 31.0, "lcpeak": 90.0, "laeq": 45.0}, order
    assert map_levels({"soundPeak": 49, "soundAvg": 42}) == {"laeq": 42, "lafmax": 49}  # Elsys alone


def test_no_laeq_lists_at_most_twenty_names() -> None:
    with pytest.raises(InvalidReading) as info:
        map_levels({f"f{i}": i for i in range(50)})
    assert info.value.reason == "no_laeq"
    listed = info.value.detail.split("fields present: ")[1]
    assert listed == ", ".join(f"f{i}" for i in range(20)) + ", ..."  # the first twenty, in order
    json.dumps(info.value.detail)
    with pytest.raises(InvalidReading) as c_weighted:
        map_levels({"LCeq": 60.0, "battery": 98})
    assert "set it to A" in c_weighted.value.detail and c_weighted.value.detail.endswith("LCeq, battery")
