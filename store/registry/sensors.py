"""Registry: the metadata beside the time series (sensors, dead letters), always in SQLite.

Kept apart from the readings so that the InfluxDB deployment has the same registry as the embedded one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from noiselab.store.sqlite import SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS sensors (
    sensor_id      TEXT PRIMARY KEY,
    name           TEXT,
    vendor         TEXT,
    lat            REAL,
    lon            REAL,
    area_category  TEXT,
    source_type    TEXT NOT NULL DEFAULT 'road',
    facade         INTEGER NOT NULL DEFAULT 0,
    sonometer_class TEXT,
    interval_s     REAL,
    target_profile TEXT,
    public         INTEGER NOT NULL DEFAULT 0,
    placed         INTEGER NOT NULL DEFAULT 0,
    created_ms     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_ms INTEGER NOT NULL,
    source      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    topic       TEXT,
    sensor_id   TEXT,
    raw         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters (received_ms);
"""


@dataclass
class Sensor:
    sensor_id: str
    name: str | None = None
    vendor: str | None = None
    lat: float | None = None
    lon: float | None = None
    area_category: str | None = None  # housing, recreation, office, ...
    source_type: str = "road"  # road, rail, industry, ...
    facade: bool = False
    sonometer_class: str | None = None
    interval_s: float | None = None
    target_profile: str | None = None
    public: bool = False
    placed: bool = False
    created_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


SENSOR_FIELDS = tuple(f.name for f in fields(Sensor))


@dataclass(frozen=True)
class DeadLetter:
    source: str
    reason: str
    detail: str
    raw: bytes
    topic: str | None = None
    sensor_id: str | None = None


class Registry(SqliteDatabase):
    """Sensors and dead letters, in their own SQLite file."""

    schema = SCHEMA

    # --- sensors
    def _sensor(self, row: tuple) -> Sensor:  # type: ignore[type-arg]
        s = Sensor(*row)
        s.facade, s.public, s.placed = bool(s.facade), bool(s.public), bool(s.placed)
        return s

    def get_sensor(self, sensor_id: str) -> Sensor | None:
        rows = self._query(f"SELECT {','.join(SENSOR_FIELDS)} FROM sensors WHERE sensor_id = ?", (sensor_id,))
        return self._sensor(rows[0]) if rows else None

    def list_sensors(self, *, public_only: bool = False) -> list[Sensor]:
        where = " WHERE public = 1" if public_only else ""
        rows = self._query(f"SELECT {','.join(SENSOR_FIELDS)} FROM sensors{where} ORDER BY sensor_id")
        return [self._sensor(r) for r in rows]

    def upsert_sensor(self, sensor: Sensor) -> None:
        if not sensor.created_ms:
            sensor.created_ms = int(time.time() * 1000)
        values = [getattr(sensor, f) for f in SENSOR_FIELDS]
        updates = ",".join(f"{f}=excluded.{f}" for f in SENSOR_FIELDS if f not in ("sensor_id", "created_ms"))
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO sensors ({','.join(SENSOR_FIELDS)})"
                f" VALUES ({','.join('?' * len(SENSOR_FIELDS))})"
                f" ON CONFLICT(sensor_id) DO UPDATE SET {updates}",
                values,
            )

    def ensure_sensors(self, sensor_ids: Iterable[str], *, vendor: str | None = None) -> None:
        """Auto-register sensors seen in data: unplaced and not public until an admin places them."""
        now = int(time.time() * 1000)
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO sensors (sensor_id, vendor, created_ms) VALUES (?, ?, ?)",
                [(sid, vendor, now) for sid in set(sensor_ids)],
            )

    # --- dead letters
    def add_dead_letters(self, letters: Iterable[DeadLetter]) -> int:
        now = int(time.time() * 1000)
        rows = [(now, d.source, d.reason, d.detail[:2000], d.topic, d.sensor_id, d.raw) for d in letters]
        if rows:
            with self._tx() as conn:
                conn.executemany(
                    "INSERT INTO dead_letters (received_ms, source, reason, detail, topic, sensor_id, raw)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        return len(rows)

    def dead_letters(self, *, limit: int = 100, since_id: int = 0) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT id, received_ms, source, reason, detail, topic, sensor_id, raw FROM dead_letters"
            " WHERE id > ? ORDER BY id LIMIT ?",
            (since_id, limit),
        )
        keys = ("id", "received_ms", "source", "reason", "detail", "topic", "sensor_id", "raw")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def dead_letter_counts(self) -> dict[str, int]:
        rows = self._query("SELECT source || ':' || reason, COUNT(*) FROM dead_letters GROUP BY 1")
        return {k: n for k, n in rows}


def dumps_raw(raw: bytes) -> str:
    """Raw bytes for JSON output: text when it is UTF-8, else hex."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return json.dumps({"hex": raw.hex()})
