"""One contract for every registry backend: each test runs on a fresh SQLite registry and on a fresh
PostgreSQL registry (the ``fresh_pg_registry`` fixture, which starts Debian's PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from noiselab.store.registry import DeadLetter, Sensor, SqliteRegistry, SqlRegistry
from noiselab.store.registry.migrations import MIGRATIONS, Migration, migrate
from noiselab.store.registry.sql import SqliteSql


def test_sensor_round_trip_and_update(reg: SqlRegistry) -> None:
    reg.upsert_sensor(Sensor("vb-01", name="Strandvej", lat=55.6, lon=12.4, facade=True, public=True))
    got = reg.get_sensor("vb-01")
    assert got is not None
    assert (got.name, got.lat, got.lon, got.facade, got.public, got.placed) == (
        "Strandvej",
        55.6,
        12.4,
        True,
        True,
        False,
    )
    assert got.created_ms > 0
    created = got.created_ms
    reg.upsert_sensor(Sensor("vb-01", name="Strandvej 2", created_ms=0))
    again = reg.get_sensor("vb-01")
    assert again is not None and again.name == "Strandvej 2" and again.created_ms == created
    assert reg.get_sensor("nope") is None


def test_ensure_sensors_never_overwrites_and_lists_public_only(reg: SqlRegistry) -> None:
    reg.upsert_sensor(Sensor("a-1", vendor="acme", public=True))
    reg.ensure_sensors(["a-1", "b-1", "b-1"], vendor="rival")
    a, b = reg.get_sensor("a-1"), reg.get_sensor("b-1")
    assert a is not None and a.vendor == "acme"
    assert b is not None and b.vendor == "rival" and not b.public and not b.placed
    assert [s.sensor_id for s in reg.list_sensors()] == ["a-1", "b-1"]
    assert [s.sensor_id for s in reg.list_sensors(public_only=True)] == ["a-1"]


def test_dead_letters_keep_raw_bytes_in_order(reg: SqlRegistry) -> None:
    raw = b"\x00\xffnot json"
    n = reg.add_dead_letters([DeadLetter("mqtt", "bad_json", "x", raw, topic="noise/a/b/levels")])
    n += reg.add_dead_letters([DeadLetter("http", "too_loud", "y", b"{}", sensor_id="s")])
    assert n == 2
    rows = reg.dead_letters(limit=10)
    assert [r["reason"] for r in rows] == ["bad_json", "too_loud"]
    assert bytes(rows[0]["raw"]) == raw
    assert [r["reason"] for r in reg.dead_letters(limit=10, since_id=rows[0]["id"])] == ["too_loud"]


def test_keys_create_verify_revoke(reg: SqlRegistry) -> None:
    meta, key = reg.keys.create("vendor", vendor="acme", label="gw")
    other, _ = reg.keys.create("engineer")
    assert other.key_id != meta.key_id
    found = reg.keys.verify(key)
    assert found is not None and (found.role, found.vendor, found.key_id) == ("vendor", "acme", meta.key_id)
    assert reg.keys.verify(key + "x") is None and reg.keys.verify("junk") is None
    assert reg.keys.revoke(meta.key_id) is True
    assert reg.keys.revoke(meta.key_id) is False
    assert reg.keys.verify(key) is None
    assert [k.key_id for k in reg.keys.list(include_revoked=False)] == [other.key_id]
    with pytest.raises(ValueError):
        reg.keys.create("vendor")


def test_profiles_are_versioned(reg: SqlRegistry) -> None:
    assert reg.profiles.save("quiet", {"limits": []}) == 1
    assert reg.profiles.save("quiet", {"limits": [1]}) == 2
    (latest,) = reg.profiles.latest()
    assert latest["version"] == "2" and latest["limits"] == [1]


def test_migrations_apply_once_even_when_processes_race(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    extra = [*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "a counter", "CREATE TABLE c (n {bigint})")]
    errors: list[BaseException] = []

    def start() -> None:
        try:
            migrate(SqliteSql(path), extra)
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db = SqliteSql(path)
    versions = [r[0] for r in db.query("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [m.version for m in extra]


def test_migration_versions_must_increase(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        migrate(SqliteSql(tmp_path / "x.db"), [Migration(2, "b", ""), Migration(1, "a", "")])


def test_an_existing_pre_migration_registry_file_opens(tmp_path: Path) -> None:
    """Registry files written before migrations existed (tables made with CREATE IF NOT EXISTS) still open."""
    path = tmp_path / "old.db"
    db = SqliteSql(path)
    db.execute(
        "CREATE TABLE sensors (sensor_id TEXT PRIMARY KEY, name TEXT, vendor TEXT, lat REAL, lon REAL,"
        " area_category TEXT, source_type TEXT NOT NULL DEFAULT 'road', facade INTEGER NOT NULL DEFAULT 0,"
        " sonometer_class TEXT, interval_s REAL, target_profile TEXT, public INTEGER NOT NULL DEFAULT 0,"
        " placed INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO sensors (sensor_id, created_ms) VALUES ('old-1', 1)")
    reg = SqliteRegistry(path)
    assert reg.get_sensor("old-1") is not None
