"""sensor.community DNMS pushes: X-Sensor header, string values, receive-time rule."""

from __future__ import annotations

import pytest

from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import SensorRules
from tests.decoders.conftest import fixture_bytes, message, ms, refused, run

NOW = 1_781_100_000.0
HEADERS = {"x-sensor": "esp8266-13597771", "x-pin": "15"}
LAEQ_50 = {"value_type": "noise_LAeq", "value": "50"}


def push(values: list[object]) -> dict[str, object]:
    return {"software_version": "NRZ-2020-133", "sensordatavalues": values}


def sc(body: object, *, headers: dict[str, str] | None = HEADERS, rules: SensorRules | None = None):
    return run("sensor-community", message(body, headers=headers, received_s=NOW), rules)


def test_fixture_ends_at_the_receive_time() -> None:
    out = run(
        "sensor-community",
        message(fixture_bytes("sensor-community-dnms.json"), headers=HEADERS, received_s=NOW),
    )
    assert out.refused == []
    assert out.readings == [
        Reading(
            sensor_id="esp8266-13597771", start_ms=ms(NOW - 145), interval_s=145.0, laeq=52.3, lafmax=69.28,
            lafmin=45.98, source="sensor-community",
        )
    ]  # fmt: skip


def test_dnms_prefixed_names_and_numbers_are_accepted() -> None:
    body = push(
        [
            {"value_type": "DNMS_noise_LAeq", "value": "52.30"},
            {"value_type": "DNMS_noise_LA_max", "value": 69.28},
            {"value_type": "DNMS_noise_LA_min", "value": " 45.98 "},
            {"value_type": "temperature", "value": "21.0"},
            {"value_type": "DNMS_noise_LAeq1000", "value": "40.0"},
        ]
    )
    (reading,) = sc(body).readings
    assert (reading.laeq, reading.lafmax, reading.lafmin) == (52.3, 69.28, 45.98)


def test_registered_interval_and_mapping() -> None:
    rules = SensorRules(sensor_ids={"esp8266-13597771": "brondby-3"}, intervals_s={"brondby-3": 60.0})
    (reading,) = sc(push([{"value_type": "noise_LAeq", "value": "50"}]), rules=rules).readings
    assert (reading.sensor_id, reading.start_ms, reading.interval_s) == ("brondby-3", ms(NOW - 60), 60.0)


def test_header_is_trimmed_and_body_chip_id_is_the_fallback() -> None:
    body = push([{"value_type": "noise_LAeq", "value": "50"}]) | {"esp8266id": "42"}
    assert sc(body, headers={"x-sensor": "  esp8266-7 "}).readings[0].sensor_id == "esp8266-7"
    assert sc(body, headers={}).readings[0].sensor_id == "esp8266-42"


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (push([{"value_type": "noise_LAeq", "value": "50"}]), {}, "missing_field"),
        (push([{"value_type": "noise_LAeq", "value": "50"}]), {"x-sensor": "esp 8266/1"}, "bad_sensor_id"),
        (push([{"value_type": "noise_LAeq", "value": "50"}]), {"x-sensor": ""}, "bad_sensor_id"),
        (push([{"value_type": "noise_LAeq", "value": "loud"}]), HEADERS, "bad_type"),
        (push([{"value_type": "noise_LAeq", "value": "5_0"}]), HEADERS, "bad_type"),
        (push([{"value_type": "noise_LAeq", "value": "0x32"}]), HEADERS, "bad_type"),
        (push([{"value_type": "noise_LAeq", "value": "nan"}]), HEADERS, "not_finite"),
        (push([{"value_type": "noise_LAeq", "value": "-Infinity"}]), HEADERS, "not_finite"),
        (push([{"value_type": "noise_LAeq", "value": "150.0"}]), HEADERS, "out_of_range"),
        (push([{"value_type": "noise_LAeq", "value": None}]), HEADERS, "missing_field"),
        (push([{"value_type": "noise_LAeq", "value": ["50"]}]), HEADERS, "bad_type"),
        (push([{"value_type": "noise_LA_max", "value": "60"}]), HEADERS, "no_laeq"),
        (push([]), HEADERS, "no_laeq"),
        (push([LAEQ_50, {"value_type": "DNMS_noise_LAeq", "value": "51"}]), HEADERS, "duplicate_field"),
        (push(["noise_LAeq"]), HEADERS, "bad_type"),
        (push([{"value": "50"}]), HEADERS, "bad_type"),
        ({"software_version": "x"}, HEADERS, "missing_field"),
        ({"sensordatavalues": {"noise_LAeq": "50"}}, HEADERS, "bad_type"),
        ([{"value_type": "noise_LAeq", "value": "50"}], HEADERS, "bad_shape"),
    ],
)  # fmt: skip
def test_refusals(body: object, headers: dict[str, str], reason: str) -> None:
    assert refused("sensor-community", message(body, headers=headers, received_s=NOW)).reason == reason


def test_no_laeq_names_the_value_types_sent() -> None:
    err = refused(
        "sensor-community",
        message(push([{"value_type": "temperature", "value": "20"}]), headers=HEADERS, received_s=NOW),
    )
    assert "temperature" in err.detail
