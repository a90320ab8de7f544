"""Which vendor owns a sensor (SPEC §12): a new sensor belongs to the first vendor that writes it, and that
claim is atomic: one ``INSERT ... ON CONFLICT (sensor_id) DO NOTHING`` per sensor, then the owner is read
back in the same transaction. With concurrent first writers (several collectors, HTTP workers, hosts on
PostgreSQL) exactly one insert wins and every writer reads the same owner.

A sensor registered without a vendor (by an admin, or auto-registered from a LoRaWAN network server) is
owned by nobody and is not claimable by writing: an admin assigns it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from noiselab.store.registry.sql import SqlDatabase


class Ownership:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def claim(self, sensor_ids: Iterable[str], vendor: str) -> dict[str, str | None]:
        """Register unknown sensors to ``vendor``; returns every sensor's owner after the claim."""
        ids = sorted(set(sensor_ids))
        if not ids:
            return {}
        now = int(time.time() * 1000)
        with self.db.transaction() as cur:
            cur.executemany(
                "INSERT INTO sensors (sensor_id, vendor, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (sensor_id) DO NOTHING",
                [(sid, vendor, now) for sid in ids],
            )
            owners: dict[str, str | None] = {}
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                cur.execute(
                    f"SELECT sensor_id, vendor FROM sensors WHERE sensor_id IN ({','.join('?' * len(part))})",
                    part,
                )
                owners.update({sid: owner for sid, owner in cur.fetchall()})
        return owners

    def owners(self, sensor_ids: Iterable[str]) -> dict[str, str | None]:
        """Current owners of the known sensors among ``sensor_ids`` (reading only)."""
        ids = sorted(set(sensor_ids))
        owners: dict[str, str | None] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self.db.query(
                f"SELECT sensor_id, vendor FROM sensors WHERE sensor_id IN ({','.join('?' * len(part))})",
                part,
            )
            owners.update({sid: owner for sid, owner in rows})
        return owners
