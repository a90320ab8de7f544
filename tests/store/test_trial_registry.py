"""Trials and weather in the registry, on SQLite and PostgreSQL (the ``fresh_pg_registry`` fixture)."""

from __future__ import annotations

import pytest

from noiselab.store.registry import SqlRegistry
from noiselab.store.registry.sql import Conflict


def test_trials_create_conflict_list_replace_delete(reg: SqlRegistry) -> None:
    body = {"trial_id": "barrier-a", "method": "baci", "public": False, "treated": ["vb-01"]}
    reg.trials.create(body)
    with pytest.raises(Conflict):
        reg.trials.create({**body, "method": "control_impact"})
    assert reg.trials.get("barrier-a") == body
    reg.trials.create({"trial_id": "asphalt-b", "public": True})
    assert [t["trial_id"] for t in reg.trials.list()] == ["asphalt-b", "barrier-a"]
    assert [t["trial_id"] for t in reg.trials.list(public_only=True)] == ["asphalt-b"]
    assert reg.trials.replace({**body, "public": True}) is True
    assert reg.trials.get("barrier-a") == {**body, "public": True}
    assert reg.trials.replace({"trial_id": "nope"}) is False
    assert reg.trials.delete("barrier-a") is True and reg.trials.delete("barrier-a") is False
    assert reg.trials.get("barrier-a") is None


def test_weather_hours_upsert_and_range(reg: SqlRegistry) -> None:
    rows = [(3600 * h, 3.0 + h, 270.0, 0.0, 8.5, "06180") for h in range(5)]
    assert reg.weather.upsert(rows) == 5
    reg.weather.upsert([(3600 * 2, 9.0, None, 1.2, None, "06180")])  # re-import replaces the hour
    got = reg.weather.hours(3600, 3600 * 4)
    assert [r[0] for r in got] == [3600, 7200, 10800]
    assert got[1] == (7200, 9.0, None, 1.2, None, "06180")
    assert reg.weather.count(0, 10**9) == 5 and reg.weather.count(10**9, 2 * 10**9) == 0
    assert reg.weather.upsert([]) == 0
