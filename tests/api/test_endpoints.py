"""Every endpoint answers with hand-worked numbers."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from noiselab.domain.readings import Reading
from noiselab.ingest.decoders import ngsi as ngsi_decoder
from noiselab.ingest.decoders.message import Message, SensorRules
from tests.api.conftest import DAY_START_MS, Api

DAY = "start=2026-06-10&end=2026-06-10&day_start=00:00"  # the fixture's data is one calendar day
E = "engineer"


def test_daily_constant_60_db_gives_lden_66_67(api: Api) -> None:
    [rec] = api.get(f"/v1/sensors/pub-1/daily?{DAY}").json()
    assert rec["date"] == "2026-06-10"
    assert rec["lden"] == 66.67  # 60 + 10*log10((12 + 3*10**0.5 + 9*10)/24)
    for key in ("lday", "levening", "lnight", "laeq24", "la10", "la50", "la90", "la95"):
        assert rec[key] == 60.0
    assert rec["lafmax"] == 65.0
    assert rec["coverage"] == 1.0 and rec["valid"] is True
    assert rec["indicative"] is True  # a single day against a long-term limit
    # pub-1: road, no area category -> housing -> dk-road 58 dB; not on a façade
    assert rec["lden_limit_db"] == 58.0 and rec["lden_value_db"] == 66.67
    assert rec["lden_margin_db"] == -8.67 and rec["lden_exceeded"] is True


def test_daily_facade_correction_is_applied_and_said(api: Api) -> None:
    [rec] = api.get(f"/v1/sensors/fac-1/daily?{DAY}").json()
    assert rec["lden"] == 66.67  # measured level unchanged
    assert rec["facade"] is True
    first = rec["targets"][0]
    assert first["facade_correction_db"] == -3.0 and first["value_db"] == 63.67
    assert rec["lden_margin_db"] == -5.67


def test_daily_periods_by_local_hour(api: Api) -> None:
    """Day (07-19) at 70 dB, evening (19-22) at 65 dB, night (22-07) at 55 dB, Copenhagen summer time:
    each period gets its own level and the penalties (+5, +10 dB) land where they should."""
    readings = []
    for i in range(1440):
        hour = i // 60  # local hour of 2026-06-10 (DAY_START_MS is local midnight)
        level = 70.0 if 7 <= hour < 19 else 65.0 if 19 <= hour < 22 else 55.0
        readings.append(Reading("periods", DAY_START_MS + i * 60_000, 60.0, level, level + 5.0))
    api.store.write(readings)
    [rec] = api.get(f"/v1/sensors/periods/daily?{DAY}", E).json()
    assert (rec["lday"], rec["levening"], rec["lnight"]) == (70.0, 65.0, 55.0)
    assert rec["lden"] == 68.71  # 10*log10((12*10**7 + 3*10**(7.0) + 9*10**(6.5))/24)
    assert rec["laeq24"] == 67.41  # 10*log10((12*10**7 + 3*10**6.5 + 9*10**5.5)/24)
    # time-weighted exceedance levels: 12 h at 70, 3 h at 65, 9 h at 55 dB
    assert (rec["la10"], rec["la50"], rec["la90"], rec["la95"]) == (70.0, 65.0, 55.0, 55.0)
    assert rec["lafmax"] == 75.0 and rec["coverage"] == 1.0 and rec["valid"] is True
    assert (rec["coverage_day"], rec["coverage_evening"], rec["coverage_night"]) == (1.0, 1.0, 1.0)


def test_half_day_is_not_valid_and_has_half_coverage(api: Api) -> None:
    api.store.write([Reading("half", DAY_START_MS + i * 60_000, 60.0, 50.0) for i in range(720)])
    [rec] = api.get(f"/v1/sensors/half/daily?{DAY}", E).json()
    assert rec["coverage"] == 0.5 and rec["valid"] is False
    assert rec["levening"] is None and rec["lden"] is None  # no evening data -> no Lden


def test_levels_hourly_energy_mean(api: Api) -> None:
    start = DAY_START_MS // 1000
    # one hour: 30 min at 70 dB and 30 min at 50 dB -> 10*log10((10**7 + 10**5)/2) = 67.03 dB
    api.store.write(
        [Reading("mix", (start + i * 60) * 1000, 60.0, 70.0 if i < 30 else 50.0) for i in range(60)]
    )
    rows = api.get("/v1/sensors/mix/levels?start=2026-06-09T22:00:00Z&end=2026-06-09T23:00:00Z", E).json()
    assert rows == [
        {
            "start": "2026-06-09T22:00:00Z",
            "interval_s": 3600.0,
            "laeq": 67.03,
            "lafmax": None,
            "lcpeak": None,
            "seconds": 3600.0,
            "coverage": 1.0,
        }
    ]


def _steps(sensor_id: str, minutes: int = 60) -> list[Reading]:
    """One reading a minute from 2026-06-09T22:00Z: LAeq 50, 53, ..., 68 dB over and over (7 steps), LAFmax
    LAeq + 4 + the minute's place in its quarter hour / 10."""
    return [
        Reading(
            sensor_id, DAY_START_MS + i * 60_000, 60.0, 50.0 + 3 * (i % 7), 54.0 + 3 * (i % 7) + (i % 15) / 10
        )
        for i in range(minutes)
    ]


def _energy_mean(levels: list[float]) -> float:
    return 10 * math.log10(sum(10 ** (v / 10) for v in levels) / len(levels))


@pytest.mark.parametrize(("interval", "minutes"), [("15min", 15), ("1min", 1), ("1h", 60)])
def test_levels_buckets(api: Api, interval: str, minutes: int) -> None:
    """Buckets of a varying hour: starts, seconds, energy mean (not the arithmetic one) and max, by hand."""
    readings = _steps("steps")
    api.store.write(readings)
    url = f"/v1/sensors/steps/levels?start=2026-06-09T22:00:00Z&end=2026-06-09T23:00:00Z&interval={interval}"
    rows = api.get(url, E).json()
    assert len(rows) == 60 // minutes
    for k, row in enumerate(rows):
        part = readings[k * minutes : (k + 1) * minutes]
        assert row["start"] == f"2026-06-09T22:{k * minutes:02d}:00Z"
        assert row["interval_s"] == row["seconds"] == 60.0 * minutes and row["coverage"] == 1.0
        assert row["laeq"] == round(_energy_mean([r.laeq for r in part]), 2)
        assert row["lafmax"] == max(r.lafmax for r in part)  # type: ignore[type-var]
    if (
        interval == "1h"
    ):  # 50..68 dB eight times each, then 50, 53, 56, 59: energy mean 62.30, arithmetic 58.7
        assert rows[0]["laeq"] == 62.3


def test_levels_local_day_and_raw(api: Api) -> None:
    url = "/v1/sensors/pub-1/levels?start=2026-06-09T22:00:00Z&end=2026-06-10T22:00:00Z&interval="
    [day] = api.get(url + "1d&day_start=00:00").json()
    assert day["start"] == "2026-06-09T22:00:00Z" and day["interval_s"] == 86400.0 and day["laeq"] == 60.0
    # 1d buckets follow the noise day by default: 00:00-07:00 belongs to June 9's, 07:00-24:00 to June 10's
    days = api.get(url + "1d").json()
    assert [d["start"] for d in days] == ["2026-06-09T05:00:00Z", "2026-06-10T05:00:00Z"]
    assert [d["seconds"] for d in days] == [7 * 3600.0, 17 * 3600.0]
    api.store.write(_steps("steps", 5))
    raw_url = "/v1/sensors/steps/levels?start=2026-06-09T22:00:00Z&end=2026-06-09T22:05:00Z&interval=raw"
    raw = api.get(raw_url, E).json()
    assert [(r["start"], r["interval_s"], r["laeq"], r["lafmax"]) for r in raw] == [
        ("2026-06-09T22:00:00Z", 60.0, 50.0, 54.0),
        ("2026-06-09T22:01:00Z", 60.0, 53.0, 57.1),
        ("2026-06-09T22:02:00Z", 60.0, 56.0, 60.2),
        ("2026-06-09T22:03:00Z", 60.0, 59.0, 63.3),
        ("2026-06-09T22:04:00Z", 60.0, 62.0, 66.4),
    ]
    assert api.get(raw_url.replace("steps", "pub-1")).status_code == 401  # raw needs an engineer key


def test_annual_is_indicative_with_little_coverage(api: Api) -> None:
    [rec] = api.get("/v1/sensors/pub-1/annual?year=2026").json()
    assert rec["year"] == 2026 and rec["lden"] == 66.67
    assert rec["coverage"] == pytest.approx(1 / 365, abs=1e-4) and rec["indicative"] is True
    assert rec["lden_ci95"] == [66.67, 66.67]  # one constant day: the day-block interval has no width


def test_events_across_pages(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from noiselab.api.views import events as view

    start = DAY_START_MS
    levels = [50.0] * 10 + [75.0] * 7 + [50.0] * 3 + [72.0] * 2
    api.store.write([Reading("ev", start + i * 1000, 1.0, lv, lv + 3) for i, lv in enumerate(levels)])
    url = "/v1/sensors/ev/events?start=2026-06-09T22:00:00Z&end=2026-06-09T23:00:00Z&threshold=70"
    whole = api.get(url, E).json()
    reads: list[int | None] = []
    real_read = api.store.read

    def spy(*args: object, limit: int | None = None, min_laeq_db: float | None = None) -> object:
        reads.append(limit)
        assert min_laeq_db is not None and 69.99 < min_laeq_db < 70  # loud readings only, >= 70 dB
        return real_read(*args, limit=limit, min_laeq_db=min_laeq_db)  # type: ignore[arg-type]

    monkeypatch.setattr(api.store, "read", spy)
    monkeypatch.setattr(view, "PAGE_ROWS", 4)  # the 9 loud readings now straddle pages
    # the store keeps events for the default parameters (whole: no raw read); others come from loud pages
    assert api.get(url + "&min_duration_s=2.5", E).json() == whole
    assert reads == [4, 4, 4]
    # the 3-s dip below 70 dB is bridged (shorter than merge_gap_s = 5 s): one pass-by of 12 s
    assert [(e["start"], e["duration_s"], e["n_readings"], e["max_db"]) for e in whole] == [
        ("2026-06-09T22:00:10Z", 12.0, 9, 78.0),
    ]
    sel = 10 * np.log10(7 * 10**7.5 + 2 * 10**7.2)  # the loud readings' energy
    assert whole[0]["sel_db"] == pytest.approx(sel, abs=0.01)
    split = api.get(url + "&merge_gap_s=3&min_duration_s=0", E).json()
    assert [(e["duration_s"], e["n_readings"]) for e in split] == [(7.0, 7), (2.0, 2)]


def test_compliance(api: Api) -> None:
    rows = api.get("/v1/compliance?start=2026-06-10&end=2026-06-10&day_start=00:00").json()
    by = {(r["sensor_id"], r["limit_db"]): r for r in rows}
    assert set(by) == {("pub-1", 58.0), ("pub-1", 68.0), ("fac-1", 58.0), ("fac-1", 68.0)}
    fac = by[("fac-1", 58.0)]
    assert fac["measured_db"] == 66.67 and fac["value_db"] == 63.67 and fac["margin_db"] == -5.67
    assert fac["exceeded"] is True and fac["coverage"] == 1.0 and fac["indicative"] is True
    assert fac["source_url"].startswith("https://")
    engineer = {r["sensor_id"] for r in api.get(f"/v1/compliance?{DAY}", E).json()}
    assert "priv-1" in engineer


def test_targets_presets_have_sources_and_custom_profiles_version(api: Api) -> None:
    body = api.get("/v1/targets").json()
    ids = {p["id"] for p in body["profiles"]}
    assert {"dk-road", "dk-rail", "who-2018-road", "eu-end-mapping"} <= ids
    assert all(row["source_url"] for p in body["profiles"] for row in p["limits"])
    custom = {"id": "trial", "name": "Trial", "limits": [{"metric": "lnight", "value_db": 45}]}
    assert api.send("POST", "/v1/targets", "admin", json=custom).json()["version"] == "1"
    assert api.send("POST", "/v1/targets", "admin", json=custom).json()["version"] == "2"
    assert api.send("POST", "/v1/targets", "admin", json={**custom, "id": "dk-road"}).status_code == 409
    assert (
        api.send("PATCH", "/v1/sensors/pub-1", "admin", json={"target_profile": "trial"}).status_code == 200
    )
    [rec] = api.get(f"/v1/sensors/pub-1/daily?{DAY}").json()
    assert rec["lnight_limit_db"] == 45.0 and rec["lnight_exceeded"] is True and rec["lden_limit_db"] is None


def test_admin_creates_and_places_sensors(api: Api) -> None:
    created = api.send("POST", "/v1/sensors", "admin", json={"sensor_id": "new-1", "public": True})
    assert created.status_code == 201 and created.json()["placed"] is False
    assert api.send("POST", "/v1/sensors", "admin", json={"sensor_id": "new-1"}).status_code == 409
    placed = api.send(
        "PATCH", "/v1/sensors/priv-1", "admin", json={"lat": 55.61, "lon": 12.38, "facade": True}
    )
    assert placed.json()["placed"] is True and placed.json()["facade"] is True
    assert placed.json()["vendor"] == "acme"  # untouched fields stay
    bad = api.send("PATCH", "/v1/sensors/priv-1", "admin", json={"target_profile": "nope"})
    assert bad.status_code == 422
    assert api.send("PATCH", "/v1/sensors/ghost", "admin", json={"public": True}).status_code == 404


def test_keys_api_create_use_revoke(api: Api) -> None:
    made = api.send("POST", "/v1/keys", "admin", json={"role": "engineer", "label": "consultant"}).json()
    headers = {"X-API-Key": made["key"]}
    assert api.client.get("/v1/sensors/priv-1", headers=headers).status_code == 200
    assert "key" not in api.get("/v1/keys", "admin").json()[0]
    assert api.send("DELETE", f"/v1/keys/{made['key_id']}", "admin").status_code == 204
    assert api.client.get("/v1/sensors/priv-1", headers=headers).status_code == 401
    assert api.send("DELETE", f"/v1/keys/{made['key_id']}", "admin").status_code == 404


@pytest.mark.parametrize("fmt", ["v2", "ld"])
def test_ngsi_round_trips_through_the_ngsi_decoder(api: Api, fmt: str) -> None:
    resp = api.get(f"/v1/sensors/pub-1/ngsi?format={fmt}")
    entity = resp.json()
    assert entity["type"] == "NoiseLevelObserved"
    if fmt == "ld":
        assert resp.headers["content-type"].startswith("application/ld+json")
        assert entity["LAeq"]["value"] == 60.0 and entity["location"]["type"] == "GeoProperty"
    else:
        assert entity["LAeq"] == 60.0 and entity["location"]["coordinates"] == [12.4, 55.6]
    latest = api.store.latest("pub-1")
    assert latest is not None
    decoded = _decode_ngsi(entity)
    assert decoded.sensor_id == "pub-1" and decoded.start_ms == latest.start_ms
    assert decoded.laeq == 60.0 and decoded.interval_s == 60.0 and decoded.lafmax == 65.0


def _decode_ngsi(entity: dict[str, object]) -> Reading:
    message = Message(topic=None, headers={}, body=json.dumps(entity).encode(), received_s=time.time())
    decoded = ngsi_decoder.decode(message, SensorRules())
    assert not decoded.refused
    return decoded.readings[0]
