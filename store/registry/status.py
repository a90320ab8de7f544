"""What the collector and HTTP ingest learn about a sensor besides its levels: when its latest message
arrived (and when the newest reading in it ended, for the ``clock`` health check) and the latest battery
level a LoRaWAN payload reported. One row per sensor, overwritten; portable SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from noiselab.store.registry.sql import SqlDatabase


@dataclass(frozen=True)
class SensorStatus:
    sensor_id: str
    arrival_ms: int | None
    reading_end_ms: int | None
    battery_pct: float | None
    battery_ms: int | None


class SensorStatuses:
    """The ``sensor_status`` table (``registry.status``)."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def record_arrivals(self, arrivals: Iterable[tuple[str, int, int]]) -> None:
        """``(sensor_id, arrival_ms, reading_end_ms)`` per sensor, the latest arrival wins."""
        rows = sorted({sid: (sid, a, e) for sid, a, e in sorted(arrivals, key=lambda r: r[1])}.values())
        if not rows:
            return
        self.db.executemany(
            "INSERT INTO sensor_status (sensor_id, arrival_ms, reading_end_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (sensor_id) DO UPDATE SET arrival_ms = excluded.arrival_ms,"
            " reading_end_ms = excluded.reading_end_ms"
            " WHERE sensor_status.arrival_ms IS NULL OR sensor_status.arrival_ms <= excluded.arrival_ms",
            rows,
        )

    def record_battery(self, readings: Iterable[tuple[str, float, int]]) -> None:
        """``(sensor_id, battery_pct, at_ms)``; an older report never replaces a newer one."""
        rows = sorted({sid: (sid, p, at) for sid, p, at in sorted(readings, key=lambda r: r[2])}.values())
        if not rows:
            return
        self.db.executemany(
            "INSERT INTO sensor_status (sensor_id, battery_pct, battery_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (sensor_id) DO UPDATE SET battery_pct = excluded.battery_pct,"
            " battery_ms = excluded.battery_ms"
            " WHERE sensor_status.battery_ms IS NULL OR sensor_status.battery_ms <= excluded.battery_ms",
            rows,
        )

    def get(self, sensor_id: str) -> SensorStatus | None:
        row = self.db.query_one(
            "SELECT sensor_id, arrival_ms, reading_end_ms, battery_pct, battery_ms FROM sensor_status"
            " WHERE sensor_id = ?",
            (sensor_id,),
        )
        return SensorStatus(*row) if row else None
