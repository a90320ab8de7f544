"""``noiselab import`` and ``noiselab compute`` against plain-Python baselines measured in the same run.

Run: ``.venv/bin/python bench/bench_import.py`` (``--days`` per sensor, default 7 days x 2 sensors of 1-s
data = 1.2 M rows; ``--memory-rows 30000000`` adds the peak-memory run on a file of that many rows).

- import: :class:`Importer` into a fresh SqliteStore (readings, hourly and minute rollups, dead letters,
  checkpoints) vs the baseline ``csv.reader`` + ``executemany`` into a SQLite table keyed (sensor_id, ts)
  WITHOUT ROWID, same file, same WAL settings, one transaction per 100 000 rows;
- re-import of the same file (every row already stored) vs the first import;
- progress: the bytes reported add up to the file size;
- compute: rows/s of ``compute_records`` on the same file (wall clock, and per CPU-second, which the load
  of a shared machine disturbs less);
- peak memory (VmHWM of a child process) of importing the small file and the ``--memory-rows`` file.

Files go to /tmp and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from readings_file import write_file

from noiselab.cli.commands.compute import compute_records
from noiselab.cli.commands.importer import Importer
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from noiselab.store.sqlite_connection import connect

BASELINE_BATCH = 100_000


def baseline_import(file: Path, db: Path) -> float:
    """csv module + executemany into (sensor_id, ts) WITHOUT ROWID; returns seconds."""
    t0 = time.perf_counter()
    conn = connect(db)
    conn.execute(
        "CREATE TABLE readings (sensor_id TEXT NOT NULL, ts TEXT NOT NULL, laeq REAL NOT NULL, lafmax REAL,"
        " PRIMARY KEY (sensor_id, ts)) WITHOUT ROWID"
    )
    with file.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows: list[tuple[str, str, float, float | None]] = []
        for sid, ts, laeq, lafmax in reader:
            rows.append((sid, ts, float(laeq), float(lafmax) if lafmax else None))
            if len(rows) >= BASELINE_BATCH:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
                rows = []
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - t0


def our_import(file: Path, workdir: Path, chunk_rows: int) -> tuple[float, float, int, int]:
    """Import twice into a fresh store; returns (first s, again s, bytes reported by progress, stored)."""
    store = SqliteStore(workdir / "noise.db")
    registry = SqliteRegistry(workdir / "registry.db")
    importer = Importer(store, registry, store_url="sqlite:///bench", chunk_rows=chunk_rows)
    seen = [0]

    def progress(n: int) -> None:
        seen[0] += n

    t0 = time.perf_counter()
    first = importer.run(file, progress=progress)
    t1 = time.perf_counter()
    again = importer.run(file)
    t2 = time.perf_counter()
    assert again.stored == 0 and again.duplicates == first.stored, (first, again)
    store.close()
    registry.close()
    return t1 - t0, t2 - t1, seen[0], first.stored


def peak_rss_mb(file: Path, chunk_rows: int) -> tuple[float, float]:
    """Import ``file`` in a child process; returns (seconds, its peak RSS in MB)."""
    code = (
        "import sys, time, resource, tempfile; from pathlib import Path;"
        "from noiselab.cli.commands.importer import Importer;"
        "from noiselab.store.registry import SqliteRegistry; from noiselab.store.sqlite import SqliteStore;"
        "d = Path(tempfile.mkdtemp(dir='/tmp'));"
        "imp = Importer(SqliteStore(d / 'n.db'), SqliteRegistry(d / 'r.db'), store_url='sqlite:///m',"
        f" chunk_rows={chunk_rows}); t = time.perf_counter(); s = imp.run(Path(sys.argv[1]));"
        # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark into ru_maxrss across fork+exec
        "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')][0];"
        "print(time.perf_counter() - t, hwm / 1024, s.stored);"
        "import shutil; shutil.rmtree(d)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(file)], check=True, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=7.0, help="days of 1-s data per sensor (2 sensors)")
    ap.add_argument("--chunk-rows", type=int, default=100_000, help="rows per import block")
    ap.add_argument("--rounds", type=int, default=3, help="alternating baseline/import rounds")
    ap.add_argument("--memory-rows", type=int, default=0, help="also measure peak RSS on this many rows")
    args = ap.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        work = Path(tmp)
        file = work / "readings.csv"
        n = write_file(file, sensors=2, days=args.days)
        size = file.stat().st_size
        print(f"file: {n} rows, {size / 1e6:.0f} MB", flush=True)

        ratios, speedups, base_rates, rates, again_rates = [], [], [], [], []
        for i in range(args.rounds):  # alternate, so that load on the shared machine hits both alike
            round_dir = work / f"round{i}"
            round_dir.mkdir()
            base_s = baseline_import(file, round_dir / "baseline.db")
            first_s, again_s, reported, stored = our_import(file, round_dir, args.chunk_rows)
            assert stored == n and reported == size, (stored, reported, size)
            ratios.append(base_s / first_s)
            speedups.append(first_s / again_s)
            base_rates.append(n / base_s)
            rates.append(n / first_s)
            again_rates.append(n / again_s)
            print(f"round {i}: baseline {n / base_s:.0f} rows/s, import {n / first_s:.0f} rows/s,"
                  f" re-import {n / again_s:.0f} rows/s", flush=True)  # fmt: skip
            shutil.rmtree(round_dir)
        results |= {
            "rows": n,
            "rounds": args.rounds,
            "baseline_rows_per_s": round(statistics.median(base_rates)),
            "import_rows_per_s": round(statistics.median(rates)),
            "import_vs_baseline_median": round(statistics.median(ratios), 2),
            "import_vs_baseline_each": [round(r, 2) for r in ratios],
            "reimport_rows_per_s": round(statistics.median(again_rates)),
            "reimport_speedup_median": round(statistics.median(speedups), 1),
            "progress_matches_file_size": True,
        }
        print(json.dumps(results), flush=True)

        rates, cpu_rates = [], []
        for _ in range(args.rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            with file.open("rb") as fh:
                records, errors = compute_records(fh)
            rates.append(n / (time.perf_counter() - t0))
            cpu_rates.append(n / (time.process_time() - c0))
            assert not errors and records
        results["compute_rows_per_s"] = round(statistics.median(rates))
        results["compute_rows_per_cpu_s"] = round(statistics.median(cpu_rates))  # less load-dependent
        keys = ("compute_rows_per_s", "compute_rows_per_cpu_s")
        print(json.dumps({k: results[k] for k in keys}), flush=True)

        _small_s, small_mb = peak_rss_mb(file, args.chunk_rows)
        results["peak_rss_mb"] = {str(n): round(small_mb)}
        file.unlink()
        if args.memory_rows:
            big = work / "big.csv"
            big_n = write_file(big, sensors=2, days=args.memory_rows / 2 / 86400)
            big_s, big_mb = peak_rss_mb(big, args.chunk_rows)
            results["peak_rss_mb"] |= {str(big_n): round(big_mb)}  # type: ignore[operator]
            results["big_import_rows_per_s"] = round(big_n / big_s)
            big.unlink()
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
