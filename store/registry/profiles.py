"""Custom target profiles (limit values) in the registry; every save adds a version."""

from __future__ import annotations

import json
import time
from typing import Any

from noiselab.store.registry.sql import SqlDatabase


class TargetProfiles:
    """Custom profiles as JSON documents; the latest version of each is the one in force."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def save(self, profile_id: str, body: dict[str, Any]) -> int:
        """Store a new version of ``profile_id``; returns its version number (1, 2, ...)."""
        with self.db.transaction() as conn:
            conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM target_profiles WHERE profile_id = ?", (profile_id,)
            )
            row = conn.fetchone()
            version = int(row[0]) + 1 if row else 1
            doc = {**body, "id": profile_id, "version": str(version)}
            conn.execute(
                "INSERT INTO target_profiles (profile_id, version, body, created_ms) VALUES (?,?,?,?)",
                (profile_id, version, json.dumps(doc), int(time.time() * 1000)),
            )
        return version

    def latest(self) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT body FROM target_profiles t WHERE version ="
            " (SELECT MAX(version) FROM target_profiles u WHERE u.profile_id = t.profile_id)"
            " ORDER BY profile_id"
        )
        return [json.loads(r[0]) for r in rows]
