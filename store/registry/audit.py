"""The audit log of admin actions: keys created and revoked, sensors created and edited, target profiles,
trials and alert rules. ``record(actor, action, target, detail)`` is the one call every admin route makes;
``actor`` is ``key:<id>`` (or ``cli`` for the command line), ``detail`` a JSON-able dict of what changed
(never a secret: key material is not passed here). Append-only: nothing in noiselab updates or deletes it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from noiselab.store.registry.sql import SqlDatabase

COLUMNS = ("id", "at_ms", "actor", "action", "target", "detail")


class AuditLog:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def record(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        text = json.dumps(detail or {}, sort_keys=True, default=str, ensure_ascii=False)
        self.db.execute(
            "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (int(time.time() * 1000), actor, action, target, text),
        )

    def list(self, *, limit: int = 100, since_id: int = 0, target: str | None = None) -> list[dict[str, Any]]:
        """Oldest first after ``since_id``; only entries about ``target`` when given."""
        where, params = "id > ?", [since_id]
        if target is not None:
            where += " AND target = ?"
            params.append(target)  # type: ignore[arg-type]
        rows = self.db.query(
            f"SELECT {','.join(COLUMNS)} FROM audit_log WHERE {where} ORDER BY id LIMIT ?", (*params, limit)
        )
        out = []
        for r in rows:
            entry = dict(zip(COLUMNS, r, strict=True))
            entry["detail"] = json.loads(entry["detail"])
            out.append(entry)
        return out
