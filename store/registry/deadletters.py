"""Dead letters, bounded: the raw body of a refused message is stored once (``dead_letter_bodies``) and each
refused item is a small row that refers to it (``dead_letters.body_id``), so one message with thousands of
refused items costs one body plus a few dozen bytes per item, and at most ``MAX_ITEMS_PER_BODY`` item rows
(the rest are summarised in one row by reason).

Bounds (SPEC §12): :meth:`DeadLetters.prune` deletes bodies (and their items) older than the retention, and
per owner (the vendor, or ``source:<format>`` for input no vendor sent) the oldest bodies beyond the quota
of bytes. It returns what it dropped, so the shell can count it.

Rows written before migration 4 keep their own ``raw`` and have no body; they age out by retention.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from noiselab.store.registry.base import DeadLetter
from noiselab.store.registry.sql import SqlDatabase

MAX_ITEMS_PER_BODY = 1000
MAX_DETAIL_CHARS = 500
ITEM_OVERHEAD_BYTES = 48  # what a row costs beyond its text, for the quota
COLUMNS = (
    "id",
    "received_ms",
    "source",
    "reason",
    "detail",
    "topic",
    "sensor_id",
    "raw",
    "body_id",
    "item_index",
    "vendor",
)


@dataclass(frozen=True)
class Dropped:
    """What a prune deleted: messages (bodies) by cause, and item rows in all."""

    by_retention: int = 0
    by_quota: int = 0
    items: int = 0

    @property
    def bodies(self) -> int:
        return self.by_retention + self.by_quota


def owner_of(letter: DeadLetter) -> str:
    return letter.vendor or f"source:{letter.source}"


class DeadLetters:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def add(self, letters: Iterable[DeadLetter], *, now_ms: int | None = None) -> int:
        """Store refusals; letters that share a raw body (the same message) share one stored body."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        groups: dict[tuple[bytes, str, str | None, str | None, str | None], list[DeadLetter]] = {}
        for d in letters:
            groups.setdefault((d.raw, d.source, d.topic, d.vendor, d.credential), []).append(d)
        n = 0
        with self.db.transaction() as cur:
            for (raw, source, topic, vendor, credential), items in groups.items():
                kept = items[:MAX_ITEMS_PER_BODY]
                rows = [
                    (now, d.source, d.reason, d.detail[:MAX_DETAIL_CHARS], None, d.sensor_id, d.index, vendor)
                    for d in kept
                ]
                if len(items) > len(kept):
                    rest = Counter(d.reason for d in items[len(kept) :])
                    summary = ", ".join(f"{reason} × {count}" for reason, count in rest.most_common())
                    detail = f"{len(items) - len(kept)} more refused items not listed one by one: {summary}"
                    rows.append(
                        (now, source, "more_refused", detail[:MAX_DETAIL_CHARS], None, None, None, vendor)
                    )
                size = len(raw) + sum(ITEM_OVERHEAD_BYTES + len(r[3]) + len(r[2]) for r in rows)
                cur.execute(
                    "INSERT INTO dead_letter_bodies (received_ms, owner, vendor, source, topic, credential,"
                    " size_bytes, n_items, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (now, owner_of(items[0]), vendor, source, topic, credential, size, len(items), raw),
                )
                fetched = cur.fetchone()
                assert fetched is not None
                body_id = int(fetched[0])
                cur.executemany(
                    "INSERT INTO dead_letters (received_ms, source, reason, detail, topic, sensor_id,"
                    " item_index, vendor, raw, body_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*r, b"", body_id) for r in rows],
                )
                n += len(items)
        return n

    def list(self, *, limit: int = 100, since_id: int = 0, vendor: str | None = None) -> list[dict[str, Any]]:
        """Oldest first after ``since_id``; only ``vendor``'s when given. ``raw`` is the message body (from
        the shared body, or the row's own for rows older than migration 4)."""
        where, params = "d.id > ?", [since_id]
        if vendor is not None:
            where += " AND d.vendor = ?"
            params.append(vendor)  # type: ignore[arg-type]
        rows = self.db.query(
            "SELECT d.id, d.received_ms, d.source, d.reason, d.detail, COALESCE(b.topic, d.topic),"
            " d.sensor_id, COALESCE(b.raw, d.raw), d.body_id, d.item_index, d.vendor"
            " FROM dead_letters d LEFT JOIN dead_letter_bodies b ON b.id = d.body_id"
            f" WHERE {where} ORDER BY d.id LIMIT ?",
            (*params, limit),
        )
        out = []
        for r in rows:
            row = dict(zip(COLUMNS, r, strict=True))
            row["raw"] = bytes(row["raw"])
            out.append(row)
        return out

    def prune(self, *, now_ms: int, retention_ms: int, quota_bytes: int) -> Dropped:
        """Drop bodies older than the retention, then each owner's oldest beyond its quota."""
        cutoff = now_ms - retention_ms
        old = quota = items = 0
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM dead_letters WHERE body_id IN"
                " (SELECT id FROM dead_letter_bodies WHERE received_ms < ?)",
                (cutoff,),
            )
            items += max(cur.rowcount, 0)
            cur.execute("DELETE FROM dead_letter_bodies WHERE received_ms < ?", (cutoff,))
            old += max(cur.rowcount, 0)
            cur.execute("DELETE FROM dead_letters WHERE body_id IS NULL AND received_ms < ?", (cutoff,))
            legacy = max(cur.rowcount, 0)  # rows from before migration 4 carry their own raw
            old, items = old + legacy, items + legacy
            cur.execute(
                "SELECT owner FROM dead_letter_bodies GROUP BY owner HAVING SUM(size_bytes) > ?",
                (quota_bytes,),
            )
            for (owner,) in cur.fetchall():
                cur.execute(
                    "SELECT id, size_bytes FROM dead_letter_bodies WHERE owner = ? ORDER BY id DESC", (owner,)
                )
                kept, last_dropped = 0, None
                for body_id, size in cur.fetchall():
                    kept += int(size)
                    if kept > quota_bytes:
                        last_dropped = int(body_id)
                        break
                if last_dropped is None:
                    continue
                cur.execute(
                    "DELETE FROM dead_letters WHERE body_id IN"
                    " (SELECT id FROM dead_letter_bodies WHERE owner = ? AND id <= ?)",
                    (owner, last_dropped),
                )
                items += max(cur.rowcount, 0)
                cur.execute(
                    "DELETE FROM dead_letter_bodies WHERE owner = ? AND id <= ?", (owner, last_dropped)
                )
                quota += max(cur.rowcount, 0)
        return Dropped(old, quota, items)

    def usage(self) -> dict[str, int]:
        """Bytes held per owner (what the quota is checked against)."""
        rows = self.db.query("SELECT owner, SUM(size_bytes) FROM dead_letter_bodies GROUP BY owner")
        return {owner: int(total) for owner, total in rows}
