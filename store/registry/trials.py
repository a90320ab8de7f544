"""Trials (SPEC §10) and the hourly weather series their filters use, in the registry.

A trial is stored as its JSON body under ``trial_id``; the API validates the body, this role only stores it.
Weather is one station series per deployment: one row per UTC hour (``hour_s``), replaced on re-import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from noiselab.store.registry.sql import Conflict, SqlDatabase

WeatherRow = tuple[int, float | None, float | None, float | None, float | None, str | None]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Trials:
    """Trial bodies by id: create (409 on an existing id), list, get, replace, delete."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self, body: dict[str, Any]) -> None:
        """Store a new trial; raises :class:`Conflict` when ``body["trial_id"]`` exists."""
        now = _now_ms()
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO trials (trial_id, body, created_ms, updated_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (trial_id) DO NOTHING",
                (body["trial_id"], json.dumps(body), now, now),
            )
            if cur.rowcount == 0:
                raise Conflict(f"trial {body['trial_id']!r} exists")

    def get(self, trial_id: str) -> dict[str, Any] | None:
        row = self.db.query_one("SELECT body FROM trials WHERE trial_id = ?", (trial_id,))
        return None if row is None else dict(json.loads(row[0]))

    def list(self, *, public_only: bool = False) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT body FROM trials ORDER BY trial_id")
        bodies = [dict(json.loads(r[0])) for r in rows]
        return [b for b in bodies if b.get("public")] if public_only else bodies

    def replace(self, body: dict[str, Any]) -> bool:
        """Overwrite an existing trial's body; False when there is no such trial."""
        n = self.db.execute(
            "UPDATE trials SET body = ?, updated_ms = ? WHERE trial_id = ?",
            (json.dumps(body), _now_ms(), body["trial_id"]),
        )
        return n > 0

    def delete(self, trial_id: str) -> bool:
        return self.db.execute("DELETE FROM trials WHERE trial_id = ?", (trial_id,)) > 0


class Weather:
    """Hourly weather rows: (hour_s, wind_speed_ms, wind_dir_deg, precip_mm, temp_c, station)."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def upsert(self, rows: Iterable[WeatherRow]) -> int:
        batch = [tuple(r) for r in rows]
        if batch:
            self.db.executemany(
                "INSERT INTO weather_hours (hour_s, wind_speed_ms, wind_dir_deg, precip_mm, temp_c, station)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hour_s) DO UPDATE SET"
                " wind_speed_ms = excluded.wind_speed_ms, wind_dir_deg = excluded.wind_dir_deg,"
                " precip_mm = excluded.precip_mm, temp_c = excluded.temp_c, station = excluded.station",
                batch,
            )
        return len(batch)

    def hours(self, start_s: int, end_s: int) -> list[WeatherRow]:
        """Rows with ``start_s <= hour_s < end_s``, ordered by hour."""
        rows = self.db.query(
            "SELECT hour_s, wind_speed_ms, wind_dir_deg, precip_mm, temp_c, station FROM weather_hours"
            " WHERE hour_s >= ? AND hour_s < ? ORDER BY hour_s",
            (start_s, end_s),
        )
        return [(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def count(self, start_s: int, end_s: int) -> int:
        row = self.db.query_one(
            "SELECT COUNT(*) FROM weather_hours WHERE hour_s >= ? AND hour_s < ?", (start_s, end_s)
        )
        return int(row[0]) if row else 0
