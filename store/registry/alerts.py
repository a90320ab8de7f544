"""Alert rules, their per-sensor states, alerts, the delivery outbox and its attempts (``registry.alerts``),
and named leases (``registry.leases``) so that one process per deployment evaluates.

The evaluator writes a rule/sensor's new state, its alerts and their pending deliveries in ONE transaction
(:meth:`Alerts.apply`); deliveries are keyed by (alert, state, channel) and inserted with ``ON CONFLICT DO
NOTHING``, so an evaluator that dies and recomputes the same step adds nothing twice. A delivery stays
pending until a send succeeds, across restarts: at least once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from noiselab.store.registry.sql import Conflict, SqlDatabase


@dataclass(frozen=True)
class AlertRow:
    alert_id: str
    rule_id: str
    sensor_id: str
    state: str
    value_db: float | None
    threshold_db: float | None
    started_ms: int
    ended_ms: int | None


@dataclass(frozen=True)
class DeliveryRow:
    alert_id: str
    state: str
    channel: int
    channel_type: str
    channel_json: str
    payload: str
    release_ms: int


@dataclass(frozen=True)
class PendingDelivery:
    alert_id: str
    state: str
    channel: int
    channel_type: str
    channel_config: dict[str, Any]
    payload: str
    attempts: int


class Alerts:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    # --- rules
    def create_rule(self, rule_id: str, body: dict[str, Any], *, now_ms: int) -> None:
        """Raises :class:`Conflict` when the rule id exists."""
        with self.db.transaction() as cur:
            cur.execute("SELECT 1 FROM alert_rules WHERE rule_id = ?", (rule_id,))
            if cur.fetchone():
                raise Conflict(f"alert rule {rule_id!r} exists")
            cur.execute(
                "INSERT INTO alert_rules (rule_id, body, created_ms) VALUES (?, ?, ?)",
                (rule_id, json.dumps(body), now_ms),
            )

    def rules(self) -> list[dict[str, Any]]:
        return [json.loads(b) for (b,) in self.db.query("SELECT body FROM alert_rules ORDER BY rule_id")]

    def rule(self, rule_id: str) -> dict[str, Any] | None:
        row = self.db.query_one("SELECT body FROM alert_rules WHERE rule_id = ?", (rule_id,))
        return json.loads(row[0]) if row else None

    def delete_rule(self, rule_id: str) -> bool:
        """Delete a rule and its states; its alerts and pending deliveries stay (they are history)."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM alert_rules WHERE rule_id = ?", (rule_id,))
            gone = bool(cur.rowcount > 0)
            cur.execute("DELETE FROM alert_states WHERE rule_id = ?", (rule_id,))
        return gone

    # --- states and the outbox
    def states(self, rule_id: str) -> dict[str, dict[str, Any]]:
        rows = self.db.query("SELECT sensor_id, body FROM alert_states WHERE rule_id = ?", (rule_id,))
        return {sid: json.loads(body) for sid, body in rows}

    def apply(
        self,
        rule_id: str,
        sensor_id: str,
        state: dict[str, Any],
        alerts: Sequence[AlertRow],
        deliveries: Sequence[DeliveryRow],
        *,
        now_ms: int,
    ) -> None:
        """The new state of one rule/sensor, its alerts and their deliveries, atomically."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO alert_states (rule_id, sensor_id, body, updated_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (rule_id, sensor_id) DO UPDATE SET body = excluded.body,"
                " updated_ms = excluded.updated_ms",
                (rule_id, sensor_id, json.dumps(state), now_ms),
            )
            for a in alerts:
                cur.execute(
                    "INSERT INTO alerts (alert_id, rule_id, sensor_id, state, value_db, threshold_db,"
                    " started_ms, ended_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (alert_id) DO UPDATE SET state = excluded.state,"
                    " value_db = excluded.value_db, threshold_db = excluded.threshold_db,"
                    " ended_ms = excluded.ended_ms, updated_ms = excluded.updated_ms",
                    (
                        a.alert_id,
                        a.rule_id,
                        a.sensor_id,
                        a.state,
                        a.value_db,
                        a.threshold_db,
                        a.started_ms,
                        a.ended_ms,
                        now_ms,
                    ),
                )
            for d in deliveries:
                cur.execute(
                    "INSERT INTO alert_deliveries (alert_id, state, channel, channel_type, channel_json,"
                    " payload, release_ms, next_attempt_ms, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
                    " ON CONFLICT (alert_id, state, channel) DO NOTHING",
                    (
                        d.alert_id,
                        d.state,
                        d.channel,
                        d.channel_type,
                        d.channel_json,
                        d.payload,
                        d.release_ms,
                        d.release_ms,
                    ),
                )

    def due(self, now_ms: int, *, limit: int = 100) -> list[PendingDelivery]:
        """Undelivered deliveries whose quiet hours are over and whose next attempt is due."""
        rows = self.db.query(
            "SELECT alert_id, state, channel, channel_type, channel_json, payload, attempts"
            " FROM alert_deliveries WHERE delivered_ms IS NULL AND release_ms <= ? AND next_attempt_ms <= ?"
            " ORDER BY release_ms, alert_id, state, channel LIMIT ?",
            (now_ms, now_ms, limit),
        )
        return [PendingDelivery(a, s, int(c), t, json.loads(cj), p, int(n)) for a, s, c, t, cj, p, n in rows]

    def record_attempt(
        self, d: PendingDelivery, *, now_ms: int, ok: bool, outcome: str, next_attempt_ms: int | None
    ) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO alert_attempts (alert_id, state, channel, at_ms, ok, outcome)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (d.alert_id, d.state, d.channel, now_ms, 1 if ok else 0, outcome[:500]),
            )
            cur.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_ms = ?, last_error = ?,"
                " next_attempt_ms = ? WHERE alert_id = ? AND state = ? AND channel = ?",
                (
                    now_ms if ok else None,
                    None if ok else outcome[:500],
                    next_attempt_ms if next_attempt_ms is not None else now_ms,
                    d.alert_id,
                    d.state,
                    d.channel,
                ),
            )

    # --- reading back
    def alerts(self, *, since_ms: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts started at or after ``since_ms``, newest first, each with its deliveries and attempts."""
        rows = self.db.query(
            "SELECT alert_id, rule_id, sensor_id, state, value_db, threshold_db, started_ms, ended_ms"
            " FROM alerts WHERE started_ms >= ? ORDER BY started_ms DESC, alert_id LIMIT ?",
            (since_ms, limit),
        )
        keys = (
            "alert_id",
            "rule_id",
            "sensor_id",
            "state",
            "value_db",
            "threshold_db",
            "started_ms",
            "ended_ms",
        )
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        if not out:
            return out
        ids = [a["alert_id"] for a in out]
        marks = ",".join("?" * len(ids))
        deliveries = self.db.query(
            "SELECT alert_id, state, channel, channel_type, release_ms, attempts, delivered_ms, last_error"
            f" FROM alert_deliveries WHERE alert_id IN ({marks}) ORDER BY alert_id, state, channel",
            ids,
        )
        attempts = self.db.query(
            "SELECT alert_id, state, channel, at_ms, ok, outcome FROM alert_attempts"
            f" WHERE alert_id IN ({marks}) ORDER BY id",
            ids,
        )
        by_id = {a["alert_id"]: {**a, "deliveries": []} for a in out}
        index: dict[tuple[str, str, int], dict[str, Any]] = {}
        for a_id, st, ch, ctype, rel, n, done, err in deliveries:
            d = {
                "state": st,
                "channel": int(ch),
                "type": ctype,
                "release_ms": int(rel),
                "attempts": int(n),
                "delivered_ms": done,
                "last_error": err,
                "attempt_log": [],
            }
            by_id[a_id]["deliveries"].append(d)
            index[(a_id, st, int(ch))] = d
        for a_id, st, ch, at, ok, outcome in attempts:
            found = index.get((a_id, st, int(ch)))
            if found is not None:
                found["attempt_log"].append({"at_ms": int(at), "ok": bool(ok), "outcome": outcome})
        return [by_id[a["alert_id"]] for a in out]


class Leases:
    """Named leases with an expiry: compare-and-set on one row, so exactly one holder at a time."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def acquire(self, name: str, holder: str, *, now_ms: int, ttl_ms: int) -> bool:
        """Take or renew ``name`` for ``holder`` until ``now_ms + ttl_ms``; False while another holds it."""
        self.db.execute(
            "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, "", 0),
        )
        changed = self.db.execute(
            "UPDATE leases SET holder = ?, expires_ms = ? WHERE name = ? AND (holder = ? OR expires_ms < ?)",
            (holder, now_ms + ttl_ms, name, holder, now_ms),
        )
        return changed == 1

    def release(self, name: str, holder: str) -> None:
        self.db.execute("UPDATE leases SET expires_ms = 0 WHERE name = ? AND holder = ?", (name, holder))

    def holder(self, name: str, *, now_ms: int) -> str | None:
        row = self.db.query_one("SELECT holder, expires_ms FROM leases WHERE name = ?", (name,))
        return str(row[0]) if row and int(row[1]) >= now_ms else None
