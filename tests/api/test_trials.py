"""Trials through the real stores (SQLite and InfluxDB 1.6) and the API: recovery, each method, gaps, a DST
day, a reference with a missing day, roles, CSV, any bad input -> a precise 422 or a result with warnings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.processing.trials import TrialDesign, trial_effect
from noiselab.store.registry import Sensor, SqliteRegistry
from tests.processing.trialdata import Synthetic, synthetic
from tests.store.conftest import StoreFactory, backend, make_store  # noqa: F401 (fixtures)

TZ = "Europe/Copenhagen"
START = date(2027, 3, 15)  # the before period holds 2027-03-28, a 23-hour day


@dataclass
class Lab:
    client: TestClient
    store: Any
    registry: SqliteRegistry
    keys: dict[str, str]

    def call(self, method: str, url: str, role: str = "public", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role != "public" else {}
        headers.update(kw.pop("headers", {}))
        return self.client.request(method, url, headers=headers, **kw)


@pytest.fixture
def lab(make_store: StoreFactory, tmp_path: Path) -> Iterator[Lab]:  # noqa: F811
    settings = Settings(data_dir=tmp_path, tz=TZ)
    store = make_store()
    registry = SqliteRegistry(settings.registry_path)
    keys = {role: registry.keys.create(role)[1] for role in ("engineer", "admin")}
    keys["vendor"] = registry.keys.create("vendor", vendor="acme")[1]
    for sid in ("vb-01", "vb-02", "vb-ref-01"):
        registry.upsert_sensor(Sensor(sid, vendor="acme", public=True, placed=True))
    with TestClient(create_app(settings, store, registry)) as client:
        yield Lab(client, store, registry, keys)
    registry.close()


def _write(lab: Lab, s: Synthetic, *, step_s: int = 3600, skip: Any = None) -> None:
    """Hourly levels as readings of ``step_s`` seconds (3600: one reading per hour); ``skip(sensor, start_s)``
    leaves readings out."""
    readings = []
    per_hour = 3600 // step_s
    for ids, levels in ((("vb-01", "vb-02"), s.treated_db), (("vb-ref-01",), s.reference_db)):
        for sid, row in zip(ids, levels, strict=False):
            for t, lv in zip(s.hour_s.tolist(), row.tolist(), strict=True):
                if np.isfinite(lv):
                    starts = [t + k * step_s for k in range(per_hour)]
                    readings += [Reading(sid, t0 * 1000, float(step_s), lv) for t0 in starts
                                 if skip is None or not skip(sid, t0)]  # fmt: skip
    lab.store.write(readings)


def _body(s: Synthetic, **kw: Any) -> dict[str, Any]:
    b, a = (
        (date.fromordinal(x).isoformat() for x in s.before),
        (date.fromordinal(x).isoformat() for x in s.after),
    )
    body = {
        "trial_id": "barrier-a", "name": "Absorbing barrier", "vendor": "acme", "product": "SilentWall 3",
        "kind": "barrier", "method": "baci", "treated": ["vb-01", "vb-02"], "reference": ["vb-ref-01"],
        "before": dict(zip(("start", "end"), b, strict=True)),
        "after": dict(zip(("start", "end"), a, strict=True)),
        "hours": None, "weekdays": None, "conditions": None, "public": False,
    }  # fmt: skip
    return {**body, **kw}


def _scenario(seed: int = 11) -> Synthetic:
    return synthetic(seed, il_db=4.0, shift_db=4.0, start=START, days_before=30, gap_days=7, days_after=30,
                     n_treated=2, site_sd=0.5, tz=TZ)  # fmt: skip


def test_recovery_through_the_store_equals_the_core_and_a_dst_day_counts_23_hours(lab: Lab) -> None:
    s = _scenario()
    _write(lab, s)
    assert lab.call("POST", "/v1/trials", "admin", json=_body(s)).status_code == 201
    res = lab.call("GET", "/v1/trials/barrier-a/result", "engineer")
    assert res.status_code == 200, res.text
    doc = res.json()
    overall = doc["insertion_loss"][0]
    assert [e["period"] for e in doc["insertion_loss"]] == ["all", "day", "evening", "night"]
    assert (overall["days_before"], overall["hours_before"]) == (30, 30 * 24 - 1)  # 2027-03-28: 23 h
    assert (overall["days_after"], overall["hours_after"]) == (30, 30 * 24)
    core = trial_effect(s.inputs(), TrialDesign(method="baci", before=s.before, after=s.after)).effects[0]
    assert core.db is not None and core.ci95 is not None
    assert overall["db"] == pytest.approx(core.db, abs=0.01)  # the store round trip changes nothing
    # same days, other seed (the inputs' bytes differ): the interval agrees to Monte Carlo noise
    assert overall["ci95"] == pytest.approx(list(core.ci95), abs=0.1)
    assert abs(overall["db"] - 4.0) < 0.5 and overall["ci95"][0] <= 4.0 <= overall["ci95"][1]
    assert [w["code"] for w in doc["warnings"]] == ["reference_changed"]  # traffic +4 dB: said so
    again = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()
    assert again == doc  # deterministic interval


def test_each_method_and_the_naive_one_fooled(lab: Lab) -> None:
    s = _scenario(12)
    _write(lab, s)
    lab.call("POST", "/v1/trials", "admin", json=_body(s))
    naive = lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"method": "before_after"})
    assert naive.status_code == 200 and naive.json()["method"] == "before_after"
    doc = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()
    assert abs(doc["insertion_loss"][0]["db"] - 0.0) < 0.7  # IL 4 dB hidden by +4 dB traffic
    assert [w["code"] for w in doc["warnings"]] == ["no_reference"]
    assert doc["insertion_loss"][0]["levels_db"]["reference_before"] is None
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"method": "control_impact", "before": None})
    ci = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()
    e = ci["insertion_loss"][0]
    assert e["hours_before"] == 0 and e["days_after"] == 30
    assert e["db"] == pytest.approx(
        e["levels_db"]["reference_after"] - e["levels_db"]["treated_after"], abs=0.02
    )


def test_gaps_and_a_reference_with_a_missing_day(lab: Lab) -> None:
    s = _scenario(13)
    local = s.inputs().local
    ref = s.reference_db.copy()
    ref[:, local.date_ordinal == s.before[0] + 5] = np.nan  # the reference lost a whole day
    treated = s.treated_db.copy()
    treated[0, (local.date_ordinal == s.after[0] + 2) & (local.hour < 6)] = np.nan  # six hours of vb-01 lost
    _write(lab, replace(s, reference_db=ref, treated_db=treated))
    lab.call("POST", "/v1/trials", "admin", json=_body(s))
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    assert (e["days_before"], e["hours_before"]) == (29, 29 * 24 - 1)
    assert (e["days_after"], e["hours_after"]) == (30, 30 * 24 - 6)
    assert abs(e["db"] - 4.0) < 0.7


def test_partly_covered_hours_are_not_matched(lab: Lab) -> None:
    s = synthetic(14, start=START, days_before=8, gap_days=1, days_after=8, n_treated=2, tz=TZ)
    first_day = s.hour_s[s.inputs().local.date_ordinal == s.before[0]]
    thin = set(first_day[:3].tolist())  # the reference measures 30 of the first three hours' 60 minutes

    def skip(sid: str, t: int) -> bool:
        return sid == "vb-ref-01" and (t - t % 3600) in thin and t % 3600 >= 1800

    _write(lab, s, step_s=900, skip=skip)
    lab.call("POST", "/v1/trials", "admin", json=_body(s))
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    assert e["hours_before"] == 8 * 24 - 3  # coverage 0.5 < 0.75 in three hours
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"coverage_threshold": 0.5})
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    assert e["hours_before"] == 8 * 24
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"hours": [0, 1, 2], "weekdays": [0]})
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    mondays = sum(date.fromordinal(d).weekday() == 0 for d in range(s.before[0], s.before[1] + 1))
    assert e["hours_before"] == 3 * mondays and e["days_before"] == mondays


def test_roles_csv_and_crud(lab: Lab) -> None:
    s = _scenario(15)
    _write(lab, s)
    body = _body(s)
    assert lab.call("POST", "/v1/trials", "engineer", json=body).status_code == 403
    assert lab.call("POST", "/v1/trials", "vendor", json=body).status_code == 403
    created = lab.call("POST", "/v1/trials", "admin", json=body)
    assert created.status_code == 201 and created.json()["trial_id"] == "barrier-a"
    dup = lab.call("POST", "/v1/trials", "admin", json=body)
    assert dup.status_code == 409 and "exists" in dup.json()["detail"]
    assert lab.call("GET", "/v1/trials/barrier-a/result").status_code == 404  # private: not revealed
    assert lab.call("GET", "/v1/trials").json() == []
    assert [t["trial_id"] for t in lab.call("GET", "/v1/trials", "engineer").json()] == ["barrier-a"]
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"public": True})
    public = lab.call("GET", "/v1/trials/barrier-a/result")
    assert public.status_code == 200 and public.json()["insertion_loss"][0]["ci95"] is not None
    assert lab.call("GET", "/v1/trials/barrier-a").json()["public"] is True
    csv = lab.call("GET", "/v1/trials/barrier-a/result?format=csv", "engineer")
    lines = csv.text.splitlines()
    assert lines[0].startswith(
        "trial_id,method,period,insertion_loss_db,ci95_low_db,ci95_high_db,hours_before"
    )
    assert len(lines) == 5 and lines[1].split(",")[2] == "all"
    assert lab.call("DELETE", "/v1/trials/barrier-a", "engineer").status_code == 403
    assert lab.call("DELETE", "/v1/trials/barrier-a", "admin").status_code == 204
    assert lab.call("DELETE", "/v1/trials/barrier-a", "admin").status_code == 404
    assert lab.call("GET", "/v1/trials/barrier-a", "engineer").status_code == 404
    log = lab.registry.audit.list(target="trial:barrier-a")
    assert [e["action"] for e in log] == ["trial.create", "trial.update", "trial.delete"]
    assert log[1]["detail"] == {"public": True} and log[0]["actor"].startswith("key:")


BAD = [
    ({"treated": ["vb-01", "ghost-9"]}, "unknown sensors: ghost-9"),
    (
        {"after": {"start": "2027-01-01", "end": "2027-01-31"}},
        "the after period lies before the before period",
    ),
    ({"after": {"start": "2027-04-10", "end": "2027-05-31"}}, "the periods overlap"),
    (
        {"before": {"start": "2027-03-31", "end": "2027-03-01"}},
        "before.end (2027-03-01) is before before.start",
    ),
    ({"kind": "paint"}, "kind"),
    ({"method": "anova"}, "method"),
    ({"reference": []}, "method baci needs at least one reference sensor"),
    ({"method": "before_after", "before": None}, "method before_after needs a before period"),
    ({"reference": ["vb-01"]}, "sensors both treated and reference: vb-01"),
    ({"treated": []}, "treated"),
    ({"hours": [24]}, "hours"),
    ({"weekdays": [7]}, "weekdays"),
    ({"colour": "red"}, "colour"),
    ({"trial_id": "../etc"}, "trial_id"),
    ({"after": {"start": "2027-04-20", "end": "2030-12-31"}}, "a trial spans at most 1100 days"),
]


@pytest.mark.parametrize(("change", "detail"), BAD, ids=[d for _, d in BAD])
def test_bad_trials_get_a_precise_422(lab: Lab, change: dict[str, Any], detail: str) -> None:
    res = lab.call("POST", "/v1/trials", "admin", json=_body(_scenario(), **change))
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert detail in res.text


def test_empty_matched_hours_and_weather_filters_without_weather(lab: Lab) -> None:
    s = _scenario(16)
    lab.call("POST", "/v1/trials", "admin", json=_body(s))  # no data written at all
    doc = lab.call("GET", "/v1/trials/barrier-a/result", "engineer")
    assert doc.status_code == 200
    assert [w["code"] for w in doc.json()["warnings"]] == ["no_matched_hours", "no_matched_hours"]
    assert doc.json()["insertion_loss"][0]["db"] is None and doc.json()["insertion_loss"][0]["ci95"] is None
    patch = lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"conditions": {"dry_only": True}})
    assert patch.status_code == 200
    res = lab.call("GET", "/v1/trials/barrier-a/result", "engineer")
    assert res.status_code == 422 and "no weather data" in res.json()["detail"]
    assert lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"method": None}).status_code == 422
    assert lab.call("PATCH", "/v1/trials/nope", "admin", json={"public": True}).status_code == 404
    bad_sector = lab.call(
        "PATCH", "/v1/trials/barrier-a", "admin", json={"conditions": {"wind_sector_deg": [1]}}
    )
    assert bad_sector.status_code == 422


def test_weather_filters_and_the_weather_warning_from_imported_weather(lab: Lab) -> None:
    s = synthetic(17, start=START, days_before=10, gap_days=1, days_after=10, n_treated=2, tz=TZ)
    _write(lab, s)
    after = s.inputs().local.date_ordinal >= s.after[0]
    rows = [
        (int(t), 8.0 if a else 2.0, 250.0, 1.0 if i % 4 == 0 else 0.0, 6.0, "06181")
        for i, (t, a) in enumerate(zip(s.hour_s.tolist(), after.tolist(), strict=True))
    ]
    lab.registry.weather.upsert(rows)
    lab.call("POST", "/v1/trials", "admin", json=_body(s, conditions={"dry_only": True}))
    doc = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()
    e = doc["insertion_loss"][0]
    assert e["hours_before"] == 10 * 24 * 3 // 4 and e["hours_after"] == 10 * 24 * 3 // 4
    assert "weather_differs" in [w["code"] for w in doc["warnings"]]  # 2 m/s before, 8 m/s after
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"conditions": {"max_wind_ms": 5.0}})
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    assert e["hours_before"] == 10 * 24 and e["hours_after"] == 0
    sector = {"conditions": {"wind_sector_deg": [200, 300]}}
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json=sector)
    e = lab.call("GET", "/v1/trials/barrier-a/result", "engineer").json()["insertion_loss"][0]
    assert e["hours_before"] == 10 * 24


def test_a_public_trial_gets_one_plain_line_with_its_uncertainty_in_both_languages(lab: Lab) -> None:
    s = _scenario(18)
    _write(lab, s)
    lab.call("POST", "/v1/trials", "admin", json=_body(s))
    assert lab.call("GET", "/v1/public/overview?lang=da").json()["trials"] == []  # private: not shown
    lab.call("PATCH", "/v1/trials/barrier-a", "admin", json={"public": True})
    e = lab.call("GET", "/v1/trials/barrier-a/result").json()["insertion_loss"][0]
    lo, hi = (f"{x:.1f}" for x in e["ci95"])
    (da,) = lab.call("GET", "/v1/public/overview?lang=da").json()["trials"]
    (en,) = lab.call("GET", "/v1/public/overview?lang=en").json()["trials"]
    nb = "\u00a0"
    assert da["text"] == (
        f"Støjskærmen har gjort det {e['db']:.1f}".replace(".", ",")
        + f"{nb}dB mere stille ({lo.replace('.', ',')}–{hi.replace('.', ',')}{nb}dB)."
    )
    assert en["text"] == f"The noise barrier has made it {e['db']:.1f}{nb}dB quieter ({lo}–{hi}{nb}dB)."
    # a trial whose data give no interval is not shown at all
    lab.call(
        "PATCH", "/v1/trials/barrier-a", "admin", json={"after": {"start": "2029-01-01", "end": "2029-01-31"}}
    )
    assert lab.call("GET", "/v1/public/overview?lang=en").json()["trials"] == []


def test_resident_line_says_louder_or_unclear_when_the_interval_says_so() -> None:
    from noiselab.api.views.trials import resident_line

    def doc(db: float, lo: float, hi: float) -> dict[str, Any]:
        return {"insertion_loss": [{"period": "all", "db": db, "ci95": [lo, hi]}]}

    louder = resident_line(doc(-2.0, -2.6, -1.4), "surface", "da")
    assert louder == "Efter den støjsvage asfalt er der blevet 2,0\u00a0dB mere støj (1,4–2,6\u00a0dB)."
    unclear = resident_line(doc(0.4, -0.3, 1.1), "guardrail", "en")
    assert unclear == (
        "The measurements cannot yet show whether the guardrail has made it quieter"
        " (between -0.3 and 1.1\u00a0dB)."
    )
    assert (
        resident_line({"insertion_loss": [{"period": "all", "db": 3.0, "ci95": None}]}, "barrier", "da")
        is None
    )
