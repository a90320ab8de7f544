"""LoRaWAN applications mapped to vendors (SPEC §12): a network server (ChirpStack, The Things Stack) names
no vendor in its topics, only an application. An admin maps an application id to the vendor whose devices
it holds; uplinks of a mapped application are then checked for ownership as if that vendor had sent them
(:mod:`noiselab.ingest.ownership`). Unmapped applications are not checked.

Application ids are kept as given: ChirpStack v4 uses a UUID, The Things Stack an application id, or
``app@tenant`` as it appears in the topics of a multi-tenant cluster.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from noiselab.store.registry.sql import SqlDatabase

COLUMNS = ("application_id", "vendor", "created_ms", "updated_ms")


class LorawanApplications:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def set(self, application_id: str, vendor: str, *, now_ms: int | None = None) -> dict[str, Any] | None:
        """Map ``application_id`` to ``vendor`` (create or replace); returns the previous mapping or None."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {','.join(COLUMNS)} FROM lorawan_applications WHERE application_id = ?",
                (application_id,),
            )
            row = cur.fetchone()
            cur.execute(
                "INSERT INTO lorawan_applications (application_id, vendor, created_ms, updated_ms)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (application_id) DO UPDATE SET vendor = excluded.vendor,"
                " updated_ms = excluded.updated_ms",
                (application_id, vendor, now, now),
            )
        return None if row is None else dict(zip(COLUMNS, row, strict=True))

    def get(self, application_id: str) -> dict[str, Any] | None:
        sql = f"SELECT {','.join(COLUMNS)} FROM lorawan_applications WHERE application_id = ?"
        row = self.db.query_one(sql, (application_id,))
        return None if row is None else dict(zip(COLUMNS, row, strict=True))

    def list(self) -> list[dict[str, Any]]:
        rows = self.db.query(f"SELECT {','.join(COLUMNS)} FROM lorawan_applications ORDER BY application_id")
        return [dict(zip(COLUMNS, r, strict=True)) for r in rows]

    def delete(self, application_id: str) -> bool:
        sql = "DELETE FROM lorawan_applications WHERE application_id = ?"
        return self.db.execute(sql, (application_id,)) == 1

    def vendors(self, application_ids: Iterable[str]) -> dict[str, str]:
        """The vendor of each mapped application among ``application_ids`` (unmapped ones are left out)."""
        ids = sorted(set(application_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self.db.query(
                "SELECT application_id, vendor FROM lorawan_applications"
                f" WHERE application_id IN ({','.join('?' * len(part))})",
                part,
            )
            found.update({app: vendor for app, vendor in rows})
        return found
