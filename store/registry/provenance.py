"""Provenance: where a sensor's data came from. Every stored write batch adds, per sensor, its route
(``mqtt`` or ``http``), credential (``mqtt-topic-vendor:acme``, i.e. the MQTT user the broker's ACL allows on
that topic; ``key:12``; ``lorawan-app:...``), format and topic. Rows are kept per receive hour: a batch
increments the hour's ``batches`` and ``readings`` and widens its time ranges, so the table grows with
sensors × credentials × hours, not with the number of batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from noiselab.store.registry.sql import SqlDatabase

HOUR_MS = 3_600_000
COLUMNS = (
    "sensor_id",
    "hour_ms",
    "route",
    "credential",
    "source",
    "topic",
    "batches",
    "readings",
    "first_start_ms",
    "last_start_ms",
    "first_received_ms",
    "last_received_ms",
)


@dataclass(frozen=True)
class BatchOrigin:
    """One sensor's share of one stored write batch."""

    sensor_id: str
    route: str
    credential: str
    source: str
    topic: str
    readings: int
    first_start_ms: int
    last_start_ms: int
    received_ms: int


def _pick(column: str, op: str) -> str:
    """The smaller (``<``) or larger (``>``) of the stored and new value: portable (no LEAST/MIN(a, b))."""
    new, old = f"excluded.{column}", f"provenance.{column}"
    return f"CASE WHEN {new} {op} {old} THEN {new} ELSE {old} END"


def _smaller(column: str) -> str:
    return _pick(column, "<")


def _larger(column: str) -> str:
    return _pick(column, ">")


class Provenance:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def record(self, origins: list[BatchOrigin]) -> None:
        if not origins:
            return
        rows = [
            (
                o.sensor_id,
                o.received_ms // HOUR_MS * HOUR_MS,
                o.route,
                o.credential,
                o.source,
                o.topic,
                1,
                o.readings,
                o.first_start_ms,
                o.last_start_ms,
                o.received_ms,
                o.received_ms,
            )
            for o in origins
        ]
        self.db.executemany(
            f"INSERT INTO provenance ({','.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
            " ON CONFLICT (sensor_id, hour_ms, route, credential, source, topic) DO UPDATE SET"
            " batches = provenance.batches + excluded.batches,"
            " readings = provenance.readings + excluded.readings,"
            f" first_start_ms = {_smaller('first_start_ms')}, last_start_ms = {_larger('last_start_ms')},"
            f" first_received_ms = {_smaller('first_received_ms')},"
            f" last_received_ms = {_larger('last_received_ms')}",
            rows,
        )

    def list(
        self, sensor_id: str, *, limit: int = 100, before_hour_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """Newest hour first; page with ``before_hour_ms`` (the last page's smallest ``hour_ms``)."""
        where, params = "sensor_id = ?", [sensor_id]
        if before_hour_ms is not None:
            where += " AND hour_ms < ?"
            params.append(before_hour_ms)  # type: ignore[arg-type]
        # whole hours per page, so a page never splits an hour's rows: fetch the page's hours first
        hours = self.db.query(
            f"SELECT DISTINCT hour_ms FROM provenance WHERE {where} ORDER BY hour_ms DESC LIMIT ?",
            (*params, limit),
        )
        if not hours:
            return []
        lowest = int(hours[-1][0])
        rows = self.db.query(
            f"SELECT {','.join(COLUMNS)} FROM provenance WHERE {where} AND hour_ms >= ?"
            " ORDER BY hour_ms DESC, route, credential, source, topic",
            (*params, lowest),
        )
        return [dict(zip(COLUMNS, r, strict=True)) for r in rows]
