"""Store benchmarks: write rate, a year of daily records from rollups vs a raw scan, disk per sensor-year.

Run standalone: ``.venv/bin/python bench/bench_store.py`` (``--days``/``--influx-days`` to shorten,
``--only-messages`` for the collector-shaped writes alone).
SQLite gets a full sensor-year of 1-s readings (31.5 M rows); InfluxDB (Debian's influxd 1.6 behind the test
shim, started here on free ports) gets ``--influx-days`` of them, and its figures are scaled per year.
Ratios are against baselines measured in the same run: a plain ``INSERT`` of the same rows into the same
table without idempotency or rollups, and the raw scan for the daily records.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from noiselab.domain.readings import Reading
from noiselab.processing.daily import daily_from_raw, daily_from_rollups
from noiselab.store.base import ReadingStore
from noiselab.store.sqlite import COLUMNS, SCHEMA, SqliteStore

SENSOR = "bench-1"
YEAR_START_S = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
TZ = "Europe/Copenhagen"


def batches(days: float, batch: int, seed: int = 1) -> Iterator[list[Reading]]:
    """1-s readings from 2025-01-01 UTC: a diurnal pattern plus noise, LAFmax/LCpeak above LAeq."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400)
    for lo in range(0, n, batch):
        t = np.arange(lo, min(lo + batch, n), dtype=np.int64) + YEAR_START_S
        hour = (t % 86400) / 3600.0
        laeq = np.round(55 + 10 * np.sin((hour - 8) / 24 * 2 * np.pi) + rng.normal(0, 4, t.shape[0]), 1)
        laeq = np.clip(laeq, 20, 120)
        lafmax, lcpeak = np.round(laeq + 4.5, 1), np.round(laeq + 19.0, 1)
        yield [
            Reading(SENSOR, ms, 1.0, la, fm, None, pk)
            for ms, la, fm, pk in zip(
                (t * 1000).tolist(), laeq.tolist(), lafmax.tolist(), lcpeak.tolist(), strict=True
            )
        ]


def load(store: ReadingStore, days: float, batch: int) -> tuple[int, float]:
    n, t0 = 0, time.perf_counter()
    for i, b in enumerate(batches(days, batch)):
        n += store.write(b).stored
        if i % 200 == 0:
            print(f"  ... {n:>11,} readings, {n / (time.perf_counter() - t0):,.0f}/s", flush=True)
    return n, time.perf_counter() - t0


def plain_insert_rate(path: Path, batch: int, n_batches: int = 30) -> float:
    """Baseline: the same rows by executemany into the same table, no temp table, no rollups."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    n, t0 = 0, time.perf_counter()
    sql = f"INSERT INTO readings ({','.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
    for i, b in enumerate(batches(n_batches * batch / 86400, batch, seed=2)):
        conn.execute("BEGIN")
        rows = [
            (r.sensor_id, r.start_ms, r.interval_s, r.laeq, r.lafmax, r.lafmin, r.lcpeak, r.source, i)
            for r in b
        ]
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        n += len(rows)
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def message_batches(
    n_writes: int, sensors: int = 50, per_message: int = 60, per_write: int = 1020
) -> list[list[Reading]]:
    """The collector's shape: 60-reading messages of 1-s levels over 50 sensors in turn, ~1 000 per write."""
    t0 = YEAR_START_S + 400 * 86400
    readings: list[Reading] = []
    for k in range(n_writes * per_write // per_message):
        sensor, start = f"sensor-{k % sensors:03d}", t0 + (k // sensors) * per_message
        readings += [
            Reading(sensor, (start + j) * 1000, 1.0, 50 + (k * 7 + j) % 300 / 10, 60.0 + j % 9 / 10)
            for j in range(per_message)
        ]
    return [readings[i : i + per_write] for i in range(0, len(readings), per_write)]


def bench_message_writes(tmp: Path, n_writes: int = 600, rounds: int = 6) -> None:
    """Writes shaped like the collector's (benchmark of issue 4) vs a plain INSERT of the same rows.

    The two alternate in ``rounds`` slices, so that a change in machine load hits both alike.
    """
    work = message_batches(n_writes)
    store = SqliteStore(tmp / "messages.db")
    conn = sqlite3.connect(tmp / "messages-plain.db", isolation_level=None)
    conn.executescript(SCHEMA)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    sql = f"INSERT INTO readings ({','.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
    n, store_s, plain_s = 0, 0.0, 0.0
    step = -(-len(work) // rounds)
    for lo in range(0, len(work), step):
        part = work[lo : lo + step]
        n += sum(len(b) for b in part)
        t0 = time.perf_counter()
        for b in part:
            store.write(b)
        t1 = time.perf_counter()
        for i, b in enumerate(part):
            conn.execute("BEGIN")
            rows = [
                (r.sensor_id, r.start_ms, r.interval_s, r.laeq, r.lafmax, r.lafmin, r.lcpeak, r.source, i)
                for r in b
            ]
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        store_s, plain_s = store_s + t1 - t0, plain_s + time.perf_counter() - t1
    store.close()
    conn.close()
    rate, base = n / store_s, n / plain_s
    print(f"  {n:,} readings, 50 sensors, 60-reading messages, ~1 020 readings per write:")
    print(f"  store.write {rate:,.0f} readings/s; plain INSERT {base:,.0f}/s -> {rate / base:.2f}x of it")


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def daily_both(store: ReadingStore, days: float, repeat_rollups: int = 7) -> dict[str, float]:
    start_ms, end_ms = YEAR_START_S * 1000, int((YEAR_START_S + days * 86400) * 1000)

    def from_rollups() -> list[dict[str, object]]:
        r = store.rollups(SENSOR, start_ms, end_ms)
        return daily_from_rollups(r, sensor_ids=[SENSOR], tz=TZ, scheme="dk").to_records()

    def from_raw() -> list[dict[str, object]]:
        c = store.read(SENSOR, start_ms, end_ms)
        table = daily_from_raw(
            np.zeros(len(c), dtype=np.int64), c.start_ms / 1000.0, c.interval_s, c.laeq, c.lafmax, c.lcpeak,
            sensor_ids=[SENSOR], tz=TZ, scheme="dk", event_thresholds=None,
        )  # fmt: skip
        return table.to_records()

    t_roll, rec_roll = best_of(from_rollups, repeat_rollups)
    t_raw, rec_raw = best_of(from_raw, 1)
    assert isinstance(rec_roll, list) and isinstance(rec_raw, list)
    worst = max(
        abs(a[k] - b[k])
        for a, b in zip(rec_raw, rec_roll, strict=True)
        for k in ("lden", "laeq24", "la90", "lafmax")
        if a[k] is not None
    )
    print(f"  daily records: {len(rec_roll)} (from raw {len(rec_raw)}); largest difference {worst:.3f} dB")
    print(f"  from rollups: {t_roll * 1000:8.1f} ms (median of {repeat_rollups})")
    print(f"  from raw scan: {t_raw * 1000:8.0f} ms  -> rollups are {t_raw / t_roll:,.0f}x faster")
    return {"rollups_s": t_roll, "raw_s": t_raw}


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def settled_size(influx_dir: Path, timeout_s: float = 300.0) -> int:
    """Size of influxd's data + WAL once the WAL is snapshotted and compactions have stopped changing it."""
    sizes: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        sizes.append(dir_size(influx_dir / "data") + dir_size(influx_dir / "wal"))
        if len(sizes) >= 4 and len(set(sizes[-4:])) == 1 and dir_size(influx_dir / "wal") < 1_000_000:
            break
        time.sleep(2)
    return sizes[-1]


def sqlite_table_bytes(path: Path, table: str) -> int | None:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (table,)).fetchone()[0])
    except sqlite3.Error:
        return None  # dbstat not compiled in
    finally:
        conn.close()


def bench_sqlite(tmp: Path, days: float, batch: int) -> None:
    print(f"\n== SQLite: {days:g} days of 1-s readings, batches of {batch}")
    base = plain_insert_rate(tmp / "baseline.db", batch)
    store = SqliteStore(tmp / "noise.db")
    n, dt = load(store, days, batch)
    rate = n / dt
    print(f"  loaded {n:,} readings in {dt:,.0f} s: {rate:,.0f} readings/s")
    print(f"  baseline plain INSERT: {base:,.0f} readings/s -> store write is {rate / base:.2f}x of it")
    store.close()
    store = SqliteStore(tmp / "noise.db")
    store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = dir_size(tmp) - (tmp / "baseline.db").stat().st_size
    per_year = size * 365 / days
    print(f"  database size {size / 1e9:.2f} GB -> {per_year / 1e9:.2f} GB per sensor-year")
    roll = sqlite_table_bytes(tmp / "noise.db", "rollups_hourly")
    if roll is not None:
        per_year_mb = roll * 365 / days / 1e6
        print(f"  of which rollups_hourly {roll / 1e6:.1f} MB -> {per_year_mb:.1f} MB per sensor-year")
    daily_both(store, days)
    store.close()


def bench_influx(tmp: Path, days: float, batch: int) -> None:
    from localservices.influx import InfluxServer
    from noiselab.store.influx import InfluxStore

    print(f"\n== InfluxDB 1.6 engine via the v2 shim: {days:g} days of 1-s readings, batches of {batch}")
    binary = shutil.which("influxd")
    if binary is None:
        print("  influxd is not installed (apt-get install influxdb); skipped")
        return
    (tmp / "influxd").mkdir()
    # snapshot the cache and fully compact cold shards after 2 s, so the size measured is the steady state
    cold = 'cache-snapshot-write-cold-duration = "2s"\n  compact-full-write-cold-duration = "2s"'
    server = InfluxServer(binary, tmp / "influxd", data_extra=cold).start()
    try:
        server.create_database("bench")
        store = InfluxStore(server.url, bucket="bench", timeout_s=120)
        n, dt = load(store, days, batch)
        print(f"  loaded {n:,} readings in {dt:,.0f} s: {n / dt:,.0f} readings/s")
        resend_t0 = time.perf_counter()
        dup = sum(store.write(b).duplicates for b in batches(min(days, 1.0), batch))
        rdt = time.perf_counter() - resend_t0
        print(f"  re-send of {dup:,} readings (all duplicates): {dup / rdt:,.0f} readings/s")
        size = settled_size(tmp / "influxd")
        print(f"  data+wal {size / 1e9:.3f} GB -> {size * 365 / days / 1e9:.2f} GB per sensor-year (scaled)")
        daily_both(store, days, repeat_rollups=5)
        store.close()
    finally:
        server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365, help="SQLite: days of 1-s readings (default a year)")
    ap.add_argument("--influx-days", type=float, default=31, help="InfluxDB: days of 1-s readings")
    ap.add_argument("--batch", type=int, default=10_000, help="readings per write")
    ap.add_argument("--skip-influx", action="store_true")
    ap.add_argument("--only-messages", action="store_true", help="only the collector-shaped write case")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as d:
        tmp = Path(d)
        (tmp / "messages").mkdir()
        print("\n== SQLite: collector-shaped writes")
        bench_message_writes(tmp / "messages")
        if args.only_messages:
            return
        (tmp / "sqlite").mkdir()
        bench_sqlite(tmp / "sqlite", args.days, args.batch)
        if not args.skip_influx:
            bench_influx(tmp, args.influx_days, args.batch)


if __name__ == "__main__":
    main()
