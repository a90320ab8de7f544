"""Sensors and dead letters in portable SQL (see :mod:`noiselab.store.registry.sql`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from noiselab.store.registry.base import SENSOR_FIELDS, DeadLetter, Sensor
from noiselab.store.registry.deadletters import DeadLetters
from noiselab.store.registry.sql import SqlDatabase


class Sensors:
    """The ``sensors`` and ``dead_letters`` tables."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    # --- sensors
    def _sensor(self, row: tuple) -> Sensor:  # type: ignore[type-arg]
        s = Sensor(*row)
        s.created_ms = int(s.created_ms)
        s.retired_ms = None if s.retired_ms is None else int(s.retired_ms)
        s.facade, s.public, s.placed = bool(s.facade), bool(s.public), bool(s.placed)
        return s

    def get_sensor(self, sensor_id: str) -> Sensor | None:
        rows = self.db.query(
            f"SELECT {','.join(SENSOR_FIELDS)} FROM sensors WHERE sensor_id = ?", (sensor_id,)
        )
        return self._sensor(rows[0]) if rows else None

    def list_sensors(self, *, public_only: bool = False, include_retired: bool = False) -> list[Sensor]:
        """Sensors by id; retired ones only with ``include_retired`` (they leave current answers)."""
        conditions = [
            c for c, on in (("public = 1", public_only), ("retired_ms IS NULL", not include_retired)) if on
        ]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.db.query(f"SELECT {','.join(SENSOR_FIELDS)} FROM sensors{where} ORDER BY sensor_id")
        return [self._sensor(r) for r in rows]

    def retire_sensor(self, sensor_id: str, *, at_ms: int) -> bool:
        """Mark a sensor retired at ``at_ms``; False when it is unknown or already retired."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE sensors SET retired_ms = ? WHERE sensor_id = ? AND retired_ms IS NULL",
                (at_ms, sensor_id),
            )
            return bool(cur.rowcount == 1)

    def reinstate_sensor(self, sensor_id: str) -> bool:
        """Undo a retirement; False when the sensor is unknown or not retired."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE sensors SET retired_ms = NULL WHERE sensor_id = ? AND retired_ms IS NOT NULL",
                (sensor_id,),
            )
            return bool(cur.rowcount == 1)

    def delete_sensor(self, sensor_id: str) -> bool:
        """Remove the registry entry (name, place, target, owner); False when unknown. Readings stay in the
        reading store: the id then counts as data without a registry entry (as before it was registered)."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM sensors WHERE sensor_id = ?", (sensor_id,))
            return bool(cur.rowcount == 1)

    def upsert_sensor(self, sensor: Sensor) -> None:
        if not sensor.created_ms:
            sensor.created_ms = int(time.time() * 1000)
        values = [getattr(sensor, f) for f in SENSOR_FIELDS]
        kept = ("sensor_id", "created_ms", "retired_ms")  # retired_ms changes only by retire/reinstate
        updates = ",".join(f"{f}=excluded.{f}" for f in SENSOR_FIELDS if f not in kept)
        with self.db.transaction() as conn:
            conn.execute(
                f"INSERT INTO sensors ({','.join(SENSOR_FIELDS)})"
                f" VALUES ({','.join('?' * len(SENSOR_FIELDS))})"
                f" ON CONFLICT(sensor_id) DO UPDATE SET {updates}",
                values,
            )

    def ensure_sensors(self, sensor_ids: Iterable[str], *, vendor: str | None = None) -> None:
        """Auto-register sensors seen in data: unplaced and not public until an admin places them."""
        now = int(time.time() * 1000)
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO sensors (sensor_id, vendor, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (sensor_id) DO NOTHING",
                [(sid, vendor, now) for sid in sorted(set(sensor_ids))],
            )

    # --- dead letters (stored by :mod:`.deadletters`: each body once, bounded)
    def add_dead_letters(self, letters: Iterable[DeadLetter]) -> int:
        return DeadLetters(self.db).add(letters)

    def dead_letters(
        self, *, limit: int = 100, since_id: int = 0, vendor: str | None = None
    ) -> list[dict[str, Any]]:
        return DeadLetters(self.db).list(limit=limit, since_id=since_id, vendor=vendor)


def dumps_raw(raw: bytes) -> str:
    """Raw bytes for JSON output: text when it is UTF-8, else hex."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return json.dumps({"hex": raw.hex()})
