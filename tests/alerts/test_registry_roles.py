"""The registry roles of issue #15 on a real SQLite registry: sensor status, history and pairs, the alert
outbox and the evaluator lease."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from noiselab.store.registry import SqliteRegistry, SqlRegistry
from noiselab.store.registry.alerts import AlertRow, DeliveryRow
from noiselab.store.registry.sql import Conflict


@pytest.fixture
def reg(tmp_path: Path) -> SqlRegistry:
    return SqliteRegistry(tmp_path / "registry.db")


def test_arrivals_and_battery_keep_the_latest(reg: SqlRegistry) -> None:
    reg.status.record_arrivals([("a", 2000, 1900), ("a", 1000, 900), ("b", 5, 4)])
    reg.status.record_arrivals([("a", 1500, 1400)])  # older than what is stored: ignored
    a = reg.status.get("a")
    assert a is not None and (a.arrival_ms, a.reading_end_ms, a.battery_pct) == (2000, 1900, None)
    reg.status.record_battery([("a", 80.0, 3000)])
    reg.status.record_battery([("a", 90.0, 2500)])
    a = reg.status.get("a")
    assert a is not None and (a.battery_pct, a.battery_ms, a.arrival_ms) == (80.0, 3000, 2000)
    assert reg.status.get("nope") is None


def test_history_changes_between_and_offsets(reg: SqlRegistry) -> None:
    t = lambda d: round(datetime(2027, 3, d, tzinfo=UTC).timestamp() * 1000)  # noqa: E731
    reg.history.add("vb-01", "placement", t(1), {"lat": 55.6, "lon": 12.4, "note": "mast"}, by="kim")
    reg.history.add(
        "vb-01", "calibration", t(10), {"reference_db": 94.0, "measured_db": 94.6}, offset_db=-0.6, by="kim"
    )
    reg.history.add("vb-01", "replacement", t(20), {"part": "microphone"}, by="ole")
    reg.history.add("vb-02", "calibration", t(15), {"reference_db": 94.0, "measured_db": 94.0}, offset_db=0)
    assert [r["kind"] for r in reg.history.records("vb-01")] == ["placement", "calibration", "replacement"]
    cal = reg.history.records("vb-01", kind="calibration")[0]
    assert (cal["offset_db"], cal["by"], cal["measured_db"]) == (-0.6, "kim", 94.6)
    between = reg.history.changes_between(
        "vb-01", datetime(2027, 3, 5, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC)
    )
    assert [r["kind"] for r in between] == ["calibration"]  # end is exclusive
    assert reg.history.changes_between("vb-01", t(21), t(30)) == []
    assert reg.history.offsets("vb-01") == [(t(10), -0.6)]
    assert reg.history.last_calibration_ms("vb-01") == t(10)
    assert reg.history.last_calibration_ms("vb-03") is None
    with pytest.raises(ValueError, match="kind"):
        reg.history.add("vb-01", "repaint", t(1), {})
    with pytest.raises(ValueError, match="zone"):
        reg.history.changes_between("vb-01", datetime(2027, 3, 5), t(30))


def test_pairs_are_stored_once_in_either_order(reg: SqlRegistry) -> None:
    reg.history.set_pair("vb-02", "vb-01", "co-located")
    reg.history.set_pair("vb-01", "vb-02", "neighbour")
    reg.history.set_pair("vb-03", "vb-01", "neighbour")
    assert reg.history.pairs("vb-02") == [("vb-01", "vb-02", "neighbour")]
    assert len(reg.history.pairs()) == 2
    assert reg.history.delete_pair("vb-02", "vb-01") and not reg.history.delete_pair("vb-02", "vb-01")
    with pytest.raises(ValueError, match="itself"):
        reg.history.set_pair("a", "a", "neighbour")
    with pytest.raises(ValueError, match="relation"):
        reg.history.set_pair("a", "b", "cousin")


def test_rules_crud_and_conflict(reg: SqlRegistry) -> None:
    reg.alerts.create_rule("r1", {"rule_id": "r1", "kind": "level"}, now_ms=1)
    with pytest.raises(Conflict):
        reg.alerts.create_rule("r1", {"rule_id": "r1"}, now_ms=2)
    assert reg.alerts.rule("r1") == {"rule_id": "r1", "kind": "level"}
    assert [r["rule_id"] for r in reg.alerts.rules()] == ["r1"]
    assert reg.alerts.delete_rule("r1") and not reg.alerts.delete_rule("r1")
    assert reg.alerts.rule("r1") is None


def test_outbox_is_idempotent_and_keeps_pending_until_delivered(reg: SqlRegistry) -> None:
    alert = AlertRow("r1.s.1000", "r1", "s", "firing", 72.0, 70.0, 1000, None)
    delivery = DeliveryRow("r1.s.1000", "firing", 0, "webhook", '{"url": "http://x"}', '{"a": 1}', 5000)
    for _ in range(2):  # an evaluator that recomputes the same step adds nothing twice
        reg.alerts.apply("r1", "s", {"phase": "firing"}, [alert], [delivery], now_ms=1000)
    assert reg.alerts.due(4999) == []  # held (quiet hours) until release
    (due,) = reg.alerts.due(5000)
    assert due.channel_config == {"url": "http://x"} and due.attempts == 0
    reg.alerts.record_attempt(due, now_ms=5000, ok=False, outcome="HTTP 500", next_attempt_ms=6000)
    assert reg.alerts.due(5500) == []
    (again,) = reg.alerts.due(6000)
    reg.alerts.record_attempt(again, now_ms=6000, ok=True, outcome="HTTP 200", next_attempt_ms=None)
    assert reg.alerts.due(10**12) == []
    (listed,) = reg.alerts.alerts()
    (d,) = listed["deliveries"]
    assert (d["attempts"], d["delivered_ms"], [a["ok"] for a in d["attempt_log"]]) == (2, 6000, [False, True])
    assert reg.alerts.states("r1") == {"s": {"phase": "firing"}}


def test_one_lease_holder_among_racing_processes(reg: SqlRegistry, tmp_path: Path) -> None:
    others = [SqliteRegistry(tmp_path / "registry.db") for _ in range(6)]
    won: list[str] = []
    barrier = threading.Barrier(len(others))

    def race(i: int, r: SqlRegistry) -> None:
        barrier.wait()
        if r.leases.acquire("evaluator", f"h{i}", now_ms=1000, ttl_ms=30_000):
            won.append(f"h{i}")

    threads = [threading.Thread(target=race, args=(i, r)) for i, r in enumerate(others)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(won) == 1
    holder = won[0]
    assert reg.leases.holder("evaluator", now_ms=2000) == holder
    assert not reg.leases.acquire("evaluator", "late", now_ms=20_000, ttl_ms=30_000)
    assert reg.leases.acquire("evaluator", holder, now_ms=20_000, ttl_ms=30_000)  # renewal
    assert reg.leases.acquire("evaluator", "late", now_ms=50_001, ttl_ms=30_000)  # expired: taken over
    reg.leases.release("evaluator", "late")
    assert reg.leases.holder("evaluator", now_ms=50_002) is None
