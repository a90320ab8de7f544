"""Issue #13 in the registry, on SQLite and PostgreSQL: the atomic first claim of a sensor, dead-letter
bodies stored once with retention and per-owner quota, provenance per batch, and the audit log."""

from __future__ import annotations

import threading
from pathlib import Path

from noiselab.store.registry import DeadLetter, Sensor, SqliteRegistry, SqlRegistry
from noiselab.store.registry.deadletters import MAX_ITEMS_PER_BODY
from noiselab.store.registry.provenance import HOUR_MS, BatchOrigin


def test_the_first_claim_wins_and_later_claims_read_the_owner(reg: SqlRegistry) -> None:
    reg.upsert_sensor(Sensor("admin-made"))  # registered without a vendor: nobody's, not claimable
    assert reg.ownership.claim(["s-1", "s-2"], "acme") == {"s-1": "acme", "s-2": "acme"}
    assert reg.ownership.claim(["s-1", "s-3", "admin-made"], "rival") == {
        "s-1": "acme",
        "s-3": "rival",
        "admin-made": None,
    }
    assert reg.ownership.owners(["s-1", "s-3", "unknown"]) == {"s-1": "acme", "s-3": "rival"}
    s1 = reg.get_sensor("s-1")
    assert s1 is not None and not s1.public and not s1.placed


def test_concurrent_first_claims_have_exactly_one_winner(tmp_path: Path) -> None:
    """16 writers (own connections, as separate processes would have) claim 50 new sensors at once."""
    path = tmp_path / "registry.db"
    SqliteRegistry(path).close()
    ids = [f"new-{i}" for i in range(50)]
    results: dict[str, dict[str, str | None]] = {}
    barrier = threading.Barrier(16)

    def writer(vendor: str) -> None:
        own = SqliteRegistry(path)
        barrier.wait()
        results[vendor] = own.ownership.claim(ids, vendor)
        own.close()

    threads = [threading.Thread(target=writer, args=(f"v{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 16
    stored = SqliteRegistry(path).ownership.owners(ids)
    for sid in ids:
        assert len({r[sid] for r in results.values()}) == 1, sid  # every writer read the same owner
        assert stored[sid] == results["v0"][sid]
    winners = {stored[sid] for sid in ids}
    assert len(winners) >= 1 and winners <= set(results)


def _letters(raw: bytes, n: int, *, vendor: str | None = "acme", source: str = "native") -> list[DeadLetter]:
    return [
        DeadLetter(source, "out_of_range", f"laeq = 200.0 dB is outside 15–145 dB (item {i})", raw,
                   vendor=vendor, credential="key:1", index=i, sensor_id="s-1")
        for i in range(n)
    ]  # fmt: skip


def test_one_body_for_all_the_items_of_a_message(reg: SqlRegistry) -> None:
    raw = b'{"sensor_id": "s-1", "laeq": [200, 200, 200]}' * 20
    assert reg.add_dead_letters(_letters(raw, 3)) == 3
    rows = reg.dead_letters(limit=10)
    assert [r["item_index"] for r in rows] == [0, 1, 2]
    assert {r["body_id"] for r in rows} == {rows[0]["body_id"]} and all(r["raw"] == raw for r in rows)
    stored_raw = reg.db.query("SELECT SUM(LENGTH(raw)) FROM dead_letter_bodies")[0][0]
    assert int(stored_raw) == len(raw)  # once, not three times
    assert reg.db.query("SELECT SUM(LENGTH(raw)) FROM dead_letters")[0][0] == 0


def test_items_beyond_the_cap_are_summarised(reg: SqlRegistry) -> None:
    n = MAX_ITEMS_PER_BODY + 250
    reg.add_dead_letters(_letters(b"[...]", n))
    rows = reg.dead_letters(limit=MAX_ITEMS_PER_BODY + 10)
    assert len(rows) == MAX_ITEMS_PER_BODY + 1
    assert rows[-1]["reason"] == "more_refused" and "250 more" in rows[-1]["detail"]
    assert "out_of_range × 250" in rows[-1]["detail"]


def test_a_vendor_lists_its_own_dead_letters_only(reg: SqlRegistry) -> None:
    reg.add_dead_letters(_letters(b"acme body", 2, vendor="acme"))
    reg.add_dead_letters(_letters(b"rival body", 3, vendor="rival"))
    reg.add_dead_letters(_letters(b"lorawan body", 1, vendor=None, source="chirpstack"))
    assert {r["raw"] for r in reg.dead_letters(vendor="acme")} == {b"acme body"}
    assert len(reg.dead_letters(vendor="rival")) == 3
    assert len(reg.dead_letters()) == 6
    page1 = reg.dead_letters(limit=4)
    page2 = reg.dead_letters(limit=4, since_id=page1[-1]["id"])
    assert [r["id"] for r in page1 + page2] == [r["id"] for r in reg.dead_letters()]


def test_retention_drops_the_old_and_quota_the_oldest(reg: SqlRegistry) -> None:
    day_ms = 86_400_000
    now = 1_800_000_000_000
    reg.deadletters.add(_letters(b"old" * 100, 2), now_ms=now - 40 * day_ms)
    for k in range(10):
        reg.deadletters.add(_letters(bytes([65 + k]) * 1000, 1), now_ms=now - (10 - k) * 1000)
    reg.deadletters.add(_letters(b"r" * 1000, 1, vendor="rival"), now_ms=now - 20_000)
    dropped = reg.deadletters.prune(now_ms=now, retention_ms=30 * day_ms, quota_bytes=3500)
    usage = reg.deadletters.usage()
    assert usage["acme"] <= 3500 and usage["rival"] > 1000  # rival is under its own quota: untouched
    kept = [r["raw"][:1] for r in reg.dead_letters(vendor="acme")]
    assert kept == [b"H", b"I", b"J"]  # the newest three bodies of acme; the oldest went first
    assert (dropped.by_retention, dropped.by_quota, dropped.items) == (1, 7, 2 + 7)
    again = reg.deadletters.prune(now_ms=now, retention_ms=30 * day_ms, quota_bytes=3500)
    assert (again.bodies, again.items) == (0, 0)


def test_provenance_per_sensor_hour_route_and_credential(reg: SqlRegistry) -> None:
    t0 = 1_800_000_000_000 // HOUR_MS * HOUR_MS
    mqtt = dict(
        route="mqtt", credential="mqtt-topic-vendor:acme", source="native", topic="noise/acme/s-1/levels"
    )
    reg.provenance.record([BatchOrigin("s-1", **mqtt, readings=60, first_start_ms=t0 - 60_000,  # type: ignore[arg-type]
                                       last_start_ms=t0 - 1000, received_ms=t0 + 5)])  # fmt: skip
    reg.provenance.record([BatchOrigin("s-1", **mqtt, readings=40, first_start_ms=t0 - 120_000,  # type: ignore[arg-type]
                                       last_start_ms=t0 - 90_000, received_ms=t0 + 50)])  # fmt: skip
    http = dict(route="http", credential="key:7", source="native", topic="")
    reg.provenance.record([BatchOrigin("s-1", **http, readings=5, first_start_ms=t0, last_start_ms=t0 + 4000,  # type: ignore[arg-type]
                                       received_ms=t0 + HOUR_MS + 1)])  # fmt: skip
    rows = reg.provenance.list("s-1")
    assert [(r["hour_ms"], r["route"], r["credential"]) for r in rows] == [
        (t0 + HOUR_MS, "http", "key:7"),
        (t0, "mqtt", "mqtt-topic-vendor:acme"),
    ]
    m = rows[1]
    assert (m["batches"], m["readings"]) == (2, 100)
    assert (m["first_start_ms"], m["last_start_ms"]) == (t0 - 120_000, t0 - 1000)
    assert (m["first_received_ms"], m["last_received_ms"]) == (t0 + 5, t0 + 50)
    assert reg.provenance.list("s-1", limit=1) == rows[:1]
    assert reg.provenance.list("s-1", limit=1, before_hour_ms=t0 + HOUR_MS) == rows[1:]
    assert reg.provenance.list("other") == []


def test_audit_log_is_append_only_and_paged(reg: SqlRegistry) -> None:
    reg.audit.record("key:1", "key.create", "key:2", {"role": "vendor", "vendor": "acme"})
    reg.audit.record("key:1", "sensor.update", "sensor:s-1", {"public": True})
    reg.audit.record("cli", "key.revoke", "key:2")
    entries = reg.audit.list()
    assert [e["action"] for e in entries] == ["key.create", "sensor.update", "key.revoke"]
    assert entries[0]["detail"] == {"role": "vendor", "vendor": "acme"} and entries[2]["detail"] == {}
    assert [e["action"] for e in reg.audit.list(since_id=entries[0]["id"], limit=1)] == ["sensor.update"]
    assert [e["id"] for e in reg.audit.list(target="key:2")] == [entries[0]["id"], entries[2]["id"]]
