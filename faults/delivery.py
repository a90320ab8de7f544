"""Delivery under faults (SPEC §8), each run ending with an exact count.

- ``sigkill``: ``noiselab collect`` killed with SIGKILL at random instants while QoS 1 readings are
  being published; then published = stored, 0 duplicates in the store.
- ``broker_restart``: Mosquitto (persistence on) stopped and started again during ingest.
- ``store_outage``: the store raises StoreUnavailable for a given time (a wrapper around the real
  SqliteStore; the broker is real): nothing is acknowledged meanwhile, everything arrives after.
- ``disk_full``: the store's file system fills up (a small tmpfs when we are root, else a file-size
  limit on the collector process); the collector holds the messages unacknowledged, then recovers.
- ``skewed_clock``: a sensor whose clock runs ahead: readings > 10 min in the future are refused as
  ``in_future`` and dead-lettered; past readings and readings < 10 min ahead are stored.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faults.harness import (
    PER_MESSAGE,
    CollectorProcess,
    Publisher,
    dead_letters,
    log_totals,
    messages,
    prime_session,
    publish_in_thread,
    start_broker,
    stored,
    wait_for,
)
from localservices import SwitchableStore
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore

Figures = dict[str, Any]


def _finish(data: Path, expected: int, timeout_s: float, url: str) -> tuple[int, int]:
    """Run one last collector until ``expected`` readings are stored, stop it with SIGTERM."""
    coll = CollectorProcess(url, data).start()

    def done() -> bool:
        coll.check()
        return stored(data)[0] >= expected

    wait_for(done, timeout_s, f"{expected} readings stored", 0.5)
    coll.terminate()
    return stored(data)


def sigkill(workdir: Path, *, readings: int = 100_000, kills: int = 20, seed: int = 9) -> Figures:
    rng = random.Random(seed)
    broker = start_broker(workdir / "mosquitto")
    data = workdir / "collector"
    data.mkdir(parents=True)
    try:
        prime_session(broker, data)
        base = stored(data)[0]
        items = messages(readings // PER_MESSAGE)
        pub = Publisher(broker.url)
        rate = len(items) / max(20.0, kills * 2.0)  # spread the publishing over the kills
        t_pub = publish_in_thread(pub, items, rate)
        lifetimes = []
        for _ in range(kills):
            coll = CollectorProcess(broker.url, data).start()
            life_s = rng.uniform(0.2, 3.5)  # a random instant: during start-up, connect, decode, write, ack
            time.sleep(life_s)
            coll.check()
            coll.kill()
            lifetimes.append(round(life_s, 2))
        t_pub.join(600)
        published = pub.wait(300) * PER_MESSAGE
        pub.close()
        rows, distinct = _finish(data, base + readings, 600, broker.url)
        totals = log_totals(data)
        return {
            "published": published,
            "stored": rows - base,
            "distinct": distinct - base,
            "duplicates_in_store": rows - distinct,
            "kills": kills,
            "redelivered_duplicates_absorbed": totals["duplicates"],
            "kill_instants_s": lifetimes,
            "ok": published == readings == rows - base == distinct - base,
        }
    finally:
        broker.stop()


def broker_restart(workdir: Path, *, readings: int = 50_000, restarts: int = 3) -> Figures:
    broker = start_broker(workdir / "mosquitto")
    data = workdir / "collector"
    data.mkdir(parents=True)
    try:
        prime_session(broker, data)
        base = stored(data)[0]
        coll = CollectorProcess(broker.url, data).start()
        items = messages(readings // PER_MESSAGE)
        pub = Publisher(broker.url)
        t_pub = publish_in_thread(pub, items, len(items) / 20.0)
        for _ in range(restarts):
            time.sleep(4.0)
            broker.restart()  # SIGTERM: Mosquitto writes its persistence file; then the same port again
        t_pub.join(600)
        published = pub.wait(300) * PER_MESSAGE
        pub.close()

        def done() -> bool:
            coll.check()
            return stored(data)[0] >= base + readings

        wait_for(done, 300, "all readings after the broker restarts", 0.5)
        coll.terminate()
        rows, distinct = stored(data)
        return {
            "published": published,
            "stored": rows - base,
            "duplicates_in_store": rows - distinct,
            "broker_restarts": restarts,
            "redelivered_duplicates_absorbed": log_totals(data)["duplicates"],
            "ok": published == readings == rows - base == distinct - base,
        }
    finally:
        broker.stop()


def store_outage(workdir: Path, *, readings: int = 20_000, outage_s: float = 60.0) -> Figures:
    broker = start_broker(workdir / "mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    store = SwitchableStore(SqliteStore(workdir / "noise.db"))
    cfg = CollectorConfig(
        url=broker.url, client_id="outage", max_unacked=200, batch_size=500, max_backoff_s=5
    )
    collector = Collector(cfg, store, SqliteRegistry(workdir / "registry.db"))  # type: ignore[arg-type]
    try:
        collector.start()
        store.down.set()
        t_down = time.monotonic()
        pub = Publisher(broker.url)
        pub.publish(messages(readings // PER_MESSAGE))
        published = pub.wait(120) * PER_MESSAGE
        max_held = 0
        while time.monotonic() - t_down < outage_s:
            max_held = max(max_held, collector.held)
            time.sleep(0.2)
        acked_during = collector.acked
        store.down.clear()
        t_up = time.monotonic()
        wait_for(lambda: collector.stored >= readings, 300, "all readings after the outage", 0.2)
        recovery_s = time.monotonic() - t_up
        collector.stop()
        pub.close()
        cols = [store.inner.read(f"f-{i}", 0, 2**62) for i in range(10)]  # type: ignore[attr-defined]
        rows = sum(len(c) for c in cols)
        return {
            "published": published,
            "outage_s": outage_s,
            "failed_writes_during_outage": store.failures,
            "acknowledged_during_outage": acked_during,
            "max_messages_held": max_held,
            "max_unacked_setting": cfg.max_unacked,
            "stored": rows,
            "duplicates": collector.duplicates,
            "recovery_s": round(recovery_s, 1),
            "ok": acked_during == 0 and rows == published == readings and max_held <= cfg.max_unacked,
        }
    finally:
        collector.stop()
        broker.stop()


def _mount_tmpfs(path: Path, size_kb: int) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True
    )
    return res.returncode == 0


def _file_size_limit(limit_bytes: int) -> Callable[[], None]:
    def preexec() -> None:  # in the child, before exec: writes past the limit fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, resource.RLIM_INFINITY))

    return preexec


def disk_full(
    workdir: Path, *, readings: int = 30_000, full_s: float = 20.0, method: str = "auto"
) -> Figures:
    """The store's disk fills up during ingest, then space comes back (``method``: auto, tmpfs, rlimit)."""
    broker = start_broker(workdir / "mosquitto")
    data = workdir / "collector"
    tmpfs = method != "rlimit" and _mount_tmpfs(data, 65536)
    if method == "tmpfs" and not tmpfs:
        raise RuntimeError("cannot mount a tmpfs (needs root)")
    data.mkdir(parents=True, exist_ok=True)
    try:
        prime_session(broker, data)
        base = stored(data)[0]
        filler = data / "filler"
        coll = CollectorProcess(broker.url, data)
        if tmpfs:  # leave ~200 kB free: the readings below need several MB
            free = os.statvfs(data).f_bavail * os.statvfs(data).f_frsize
            filler.write_bytes(b"\0" * max(0, free - 200_000))
        else:  # a file-size limit just above the store's current size
            biggest = max(p.stat().st_size for p in data.iterdir() if p.is_file())
            coll.preexec = _file_size_limit(biggest + 200_000)
        coll.start()
        pub = Publisher(broker.url)
        pub.publish(messages(readings // PER_MESSAGE))
        published = pub.wait(120) * PER_MESSAGE
        wait_for(lambda: log_totals(data)["store_errors"] >= 3, 120, "failed writes on the full disk", 0.5)
        time.sleep(full_s)
        coll.check()
        held_rows = stored(data)[0] - base
        acked_while_full = log_totals(data)["messages"]
        if tmpfs:
            filler.unlink()  # space comes back; the same collector process carries on
        else:
            assert coll.proc is not None
            resource.prlimit(coll.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)

        def done() -> bool:
            coll.check()
            return stored(data)[0] >= base + readings

        wait_for(done, 300, "all readings once there is space again", 0.5)
        coll.terminate()
        pub.close()
        rows, distinct = stored(data)
        return {
            "disk": "tmpfs 64 MB filled to 200 kB free (real ENOSPC)"
            if tmpfs
            else "RLIMIT_FSIZE on the collector (EFBIG)",
            "published": published,
            "stored_while_full": held_rows,
            "acknowledged_messages_while_full": acked_while_full,
            "failed_writes_while_full": log_totals(data)["store_errors"],
            "stored": rows - base,
            "duplicates_in_store": rows - distinct,
            "ok": rows - base == distinct - base == published == readings,
        }
    finally:
        broker.stop()
        if tmpfs:
            subprocess.run(["umount", "-l", str(data)], capture_output=True)


def skewed_clock(workdir: Path, *, per_case: int = 500) -> Figures:
    """One sensor's clock 15 min ahead, one 5 min ahead (tolerated), one 2 days behind (backfill)."""
    broker = start_broker(workdir / "mosquitto")
    data = workdir / "collector"
    data.mkdir(parents=True)
    try:
        coll = CollectorProcess(broker.url, data).start()
        wait_for(lambda: "collector connected" in (data / "collector.log").read_text(), 60, "connect", 0.2)
        now = time.time()
        cases = {
            "ahead-15min": now + 900,
            "ahead-5min": now + 300 - per_case,
            "behind-2days": now - 2 * 86400,
        }
        pub = Publisher(broker.url)
        for sensor, t0 in cases.items():
            items = [
                (
                    f"noise/acme/{sensor}/levels",
                    json.dumps({"ts": t0 + i, "interval_s": 1, "laeq": 55.0}).encode(),
                )
                for i in range(per_case)
            ]
            pub.publish(items)
        published = pub.wait(120)
        expected_rows = 2 * per_case
        wait_for(
            lambda: stored(data)[0] >= expected_rows and sum(dead_letters(data).values()) >= per_case,
            120,
            "every skewed reading stored or refused",
            0.3,
        )
        coll.terminate()
        pub.close()
        letters = dead_letters(data)
        rows = stored(data)[0]
        return {
            "published": published,
            "stored": rows,
            "refused": letters,
            "ok": rows == expected_rows and letters == {"in_future": per_case} and published == 3 * per_case,
        }
    finally:
        broker.stop()
