"""Retired and deleted sensors in the registry contract (SQLite and PostgreSQL): retirement keeps the entry
but leaves listings, survives an upsert, and is undone only by reinstating; delete removes the entry."""

from __future__ import annotations

from noiselab.store.registry import Sensor, SqlRegistry


def _ids(sensors: list[Sensor]) -> list[str]:
    return [s.sensor_id for s in sensors]


def test_retire_leaves_lists_keeps_the_entry_and_survives_an_upsert(reg: SqlRegistry) -> None:
    for sid in ("a-1", "b-1", "c-1"):
        reg.upsert_sensor(Sensor(sid, vendor="acme", public=True))
    assert reg.retire_sensor("b-1", at_ms=1_700_000_000_000)
    assert not reg.retire_sensor("b-1", at_ms=1_800_000_000_000)  # twice: no change
    assert not reg.retire_sensor("nope", at_ms=1)
    got = reg.get_sensor("b-1")
    assert got is not None and got.retired and got.retired_ms == 1_700_000_000_000 and got.vendor == "acme"
    assert _ids(reg.list_sensors()) == ["a-1", "c-1"]
    assert _ids(reg.list_sensors(public_only=True)) == ["a-1", "c-1"]
    assert _ids(reg.list_sensors(include_retired=True)) == ["a-1", "b-1", "c-1"]
    reg.upsert_sensor(Sensor("b-1", name="renamed", vendor="acme", public=True))  # an edit does not reinstate
    edited = reg.get_sensor("b-1")
    assert edited is not None and edited.name == "renamed" and edited.retired_ms == 1_700_000_000_000
    reg.ensure_sensors(["b-1"], vendor="acme")  # data arriving does not reinstate either
    assert _ids(reg.list_sensors()) == ["a-1", "c-1"]
    assert reg.reinstate_sensor("b-1") and not reg.reinstate_sensor("b-1") and not reg.reinstate_sensor("a-1")
    back = reg.get_sensor("b-1")
    assert back is not None and back.retired_ms is None and back.as_dict()["retired"] is False
    assert _ids(reg.list_sensors()) == ["a-1", "b-1", "c-1"]


def test_delete_removes_the_entry_only(reg: SqlRegistry) -> None:
    reg.upsert_sensor(Sensor("t-1", vendor="acme"))
    reg.upsert_sensor(Sensor("t-2", vendor="acme"))
    assert reg.delete_sensor("t-1")
    assert not reg.delete_sensor("t-1") and not reg.delete_sensor("nope")
    assert reg.get_sensor("t-1") is None
    assert _ids(reg.list_sensors(include_retired=True)) == ["t-2"]
    assert reg.ownership.claim(["t-1"], "rival") == {"t-1": "rival"}  # the id is free again
