"""API keys in the registry: created with a role (and a vendor), listed, revoked, verified.

A key is ``nlk_`` + 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored; the plain key is
returned once, by :meth:`ApiKeys.create`. Verification hashes the presented key, looks the hash up and
compares it again with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from noiselab.store.registry.base import ApiKey
from noiselab.store.registry.sql import SqlDatabase

ROLES = ("vendor", "engineer", "admin")
PREFIX = "nlk_"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


_COLS = "key_id, hint, role, vendor, label, created_ms, revoked_ms"


class ApiKeys:
    """The ``api_keys`` table."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self, role: str, *, vendor: str | None = None, label: str | None = None) -> tuple[ApiKey, str]:
        """Create a key; returns its metadata and the plain key (shown once, never stored)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "vendor" and not vendor:
            raise ValueError("a vendor key needs a vendor name")
        if role != "vendor" and vendor:
            raise ValueError("only vendor keys carry a vendor name")
        key = PREFIX + secrets.token_urlsafe(32)
        now = int(time.time() * 1000)
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO api_keys (key_hash, hint, role, vendor, label, created_ms) VALUES (?,?,?,?,?,?)"
                " RETURNING key_id",
                (key_hash(key), key[:8], role, vendor, label, now),
            )
            row = cur.fetchone()
            key_id = int(row[0]) if row else 0
        return ApiKey(key_id, key[:8], role, vendor, label, now, None), key

    def list(self, *, include_revoked: bool = True) -> list[ApiKey]:
        where = "" if include_revoked else " WHERE revoked_ms IS NULL"
        return [ApiKey(*r) for r in self.db.query(f"SELECT {_COLS} FROM api_keys{where} ORDER BY key_id")]

    def revoke(self, key_id: int) -> bool:
        """Revoke a key; False when there is no such active key."""
        changed = self.db.execute(
            "UPDATE api_keys SET revoked_ms = ? WHERE key_id = ? AND revoked_ms IS NULL",
            (int(time.time() * 1000), key_id),
        )
        return changed > 0

    def verify(self, key: str) -> ApiKey | None:
        """The active key matching ``key``, or None."""
        if not key.startswith(PREFIX) or len(key) > 128:
            return None
        digest = key_hash(key)
        rows = self.db.query(
            f"SELECT {_COLS}, key_hash FROM api_keys WHERE key_hash = ? AND revoked_ms IS NULL", (digest,)
        )
        if not rows or not hmac.compare_digest(rows[0][-1], digest):
            return None
        return ApiKey(*rows[0][:-1])
