"""Sensor history (``registry.history``): dated placements and moves, field calibration checks and unit
replacements per sensor, and the co-located / neighbouring pairs that the ``drift`` health check compares.

A calibration record's ``offset_db`` is the correction in force from its time until the next calibration
record of the same sensor (each field check measures the sensor as it is, so offsets do not add up); it is
applied when readings are read (:class:`noiselab.store.calibrated.CalibratedStore`), never written into
the stored readings.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from noiselab.store.registry.sql import SqlDatabase

KINDS = ("placement", "calibration", "replacement")
RELATIONS = ("co-located", "neighbour")


def _ms(value: int | float | datetime) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a time without a zone is ambiguous; give an aware datetime")
        return round(value.timestamp() * 1000)
    return int(value)


class SensorHistory:
    """The ``sensor_history`` and ``sensor_pairs`` tables."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def add(
        self,
        sensor_id: str,
        kind: str,
        at_ms: int,
        body: dict[str, Any],
        *,
        offset_db: float | None = None,
        by: str | None = None,
    ) -> int:
        """Add one dated record; returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO sensor_history (sensor_id, kind, at_ms, offset_db, body, by_whom, created_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (sensor_id, kind, at_ms, offset_db, json.dumps(body), by, int(time.time() * 1000)),
            )
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def records(self, sensor_id: str, *, kind: str | None = None) -> list[dict[str, Any]]:
        """The sensor's records, oldest first: ``{"id", "sensor_id", "kind", "at_ms", "by", ...body}``."""
        sql = (
            "SELECT id, sensor_id, kind, at_ms, offset_db, body, by_whom FROM sensor_history"
            " WHERE sensor_id = ?"
        )
        params: list[Any] = [sensor_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        rows = self.db.query(sql + " ORDER BY at_ms, id", params)
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(row: tuple[Any, ...]) -> dict[str, Any]:
        rid, sid, kind, at_ms, offset_db, body, by = row
        out: dict[str, Any] = {"id": int(rid), "sensor_id": sid, "kind": kind, "at_ms": int(at_ms)}
        out.update(json.loads(body))
        if kind == "calibration":
            out["offset_db"] = offset_db
        out["by"] = by
        return out

    def changes_between(
        self, sensor_id: str, start: int | float | datetime, end: int | float | datetime
    ) -> list[dict[str, Any]]:
        """Records of ``sensor_id`` dated in ``[start, end)`` (epoch ms or aware datetimes): a move, a
        calibration or a replacement between two periods that a trial compares."""
        rows = self.db.query(
            "SELECT id, sensor_id, kind, at_ms, offset_db, body, by_whom FROM sensor_history"
            " WHERE sensor_id = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, id",
            (sensor_id, _ms(start), _ms(end)),
        )
        return [self._record(r) for r in rows]

    def offsets(self, sensor_id: str) -> list[tuple[int, float]]:
        """``(from_ms, offset_db)`` of each calibration record, oldest first."""
        rows = self.db.query(
            "SELECT at_ms, offset_db FROM sensor_history WHERE sensor_id = ? AND kind = 'calibration'"
            " ORDER BY at_ms, id",
            (sensor_id,),
        )
        return [(int(at), float(off or 0.0)) for at, off in rows]

    def last_calibration_ms(self, sensor_id: str) -> int | None:
        row = self.db.query_one(
            "SELECT MAX(at_ms) FROM sensor_history WHERE sensor_id = ? AND kind = 'calibration'",
            (sensor_id,),
        )
        return int(row[0]) if row and row[0] is not None else None

    # --- pairs
    def set_pair(self, sensor_a: str, sensor_b: str, relation: str) -> None:
        """Mark two sensors as co-located or neighbours (stored once, in id order)."""
        if relation not in RELATIONS:
            raise ValueError(f"relation must be one of {', '.join(RELATIONS)}")
        if sensor_a == sensor_b:
            raise ValueError("a sensor cannot be paired with itself")
        a, b = sorted((sensor_a, sensor_b))
        self.db.execute(
            "INSERT INTO sensor_pairs (sensor_a, sensor_b, relation, created_ms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (sensor_a, sensor_b) DO UPDATE SET relation = excluded.relation",
            (a, b, relation, int(time.time() * 1000)),
        )

    def pairs(self, sensor_id: str | None = None) -> list[tuple[str, str, str]]:
        """``(sensor_a, sensor_b, relation)``, all or those involving ``sensor_id``."""
        if sensor_id is None:
            rows = self.db.query("SELECT sensor_a, sensor_b, relation FROM sensor_pairs ORDER BY 1, 2")
        else:
            rows = self.db.query(
                "SELECT sensor_a, sensor_b, relation FROM sensor_pairs WHERE sensor_a = ? OR sensor_b = ?"
                " ORDER BY 1, 2",
                (sensor_id, sensor_id),
            )
        return [(a, b, r) for a, b, r in rows]

    def delete_pair(self, sensor_a: str, sensor_b: str) -> bool:
        a, b = sorted((sensor_a, sensor_b))
        return self.db.execute("DELETE FROM sensor_pairs WHERE sensor_a = ? AND sensor_b = ?", (a, b)) > 0
