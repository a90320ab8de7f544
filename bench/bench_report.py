"""``noiselab report`` from rollups and stored events (issue #16): whole processes, same-run baselines.

Run: ``.venv/bin/python bench/bench_report.py`` (``--days 35``, ``--rounds 3``; ``--year-days 365`` for the
year of 1-s data, 0 to skip it).

- data: ``bench/readings_file.py`` 1-s readings of one sensor (vb-01, pass-bys of ~8 s every ~7 minutes),
  imported month by month with ``noiselab import``'s Importer into a fresh SQLite store (which keeps the
  hourly rollups and events at write time); each month's file is deleted once imported;
- baseline: a process that imports matplotlib, ``python -c "import matplotlib.pyplot"``, wall clock;
- report: the whole ``noiselab report --sensor vb-01 --start ... --end ... --out ...`` process (start-up,
  imports, reading the rollups and events, the input hash, the four PNG charts and the HTML), alternating
  with the baseline, ``--rounds`` of each; medians and their ratio (target < 5x);
- the same with ``--pdf``, once per round;
- in-process breakdown of one report (median of ``--rounds``): reading the inputs, the daily table, the
  canonical text and its hash, the charts;
- year: one ``noiselab report`` process over 365 days of a sensor with a year of 1-s data (target: seconds).

Everything goes to a temporary folder under /tmp, deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from readings_file import START_S, write_file

from noiselab.cli.commands.importer import Importer
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore

SENSOR = "vb-01"
YEAR_START_S = START_S - 366 * 86400  # the year's data must lie in the past (future readings are refused)
NOISELAB = [sys.executable, "-m", "noiselab.cli.main"]
BASELINE = [sys.executable, "-c", "import matplotlib.pyplot"]


def first_day(start_s: int) -> date:
    return datetime.fromtimestamp(start_s, UTC).date()


def load(folder: Path, days: int, start_s: int, *, month_days: int = 31) -> tuple[int, float]:
    """``days`` (+1, so that the last noise day is whole) of 1-s data from ``start_s`` imported month by
    month; returns the rows and the seconds the imports took. Raises unless every row was stored."""
    store = SqliteStore(folder / "noise.db")
    registry = SqliteRegistry(folder / "registry.db")
    rows, spent = 0, 0.0
    try:
        for lo in range(0, days + 1, month_days):
            file = folder / f"month-{lo}.csv"
            n_days = min(month_days, days + 1 - lo)
            n = write_file(file, sensors=1, days=n_days, seed=lo + 1, start_s=start_s + lo * 86400)
            t0 = time.perf_counter()
            summary = Importer(store, registry, store_url="sqlite:///bench", chunk_rows=100_000).run(file)
            spent += time.perf_counter() - t0
            if summary.stored != n:
                raise RuntimeError(
                    f"{file.name}: {summary.stored} of {n} rows stored ({dict(summary.reasons)})"
                )
            rows += n
            file.unlink()
    finally:
        store.close()
        registry.close()
    return rows, spent


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def report_cmd(folder: Path, first: date, days: int, out: Path, *extra: str) -> list[str]:
    last = first + timedelta(days=days - 1)
    return [
        *NOISELAB, "report", "--data-dir", str(folder), "--sensor", SENSOR, "--start", first.isoformat(),
        "--end", last.isoformat(), "--out", str(out), *extra,
    ]  # fmt: skip


def breakdown(folder: Path, first: date, days: int, rounds: int) -> dict[str, float]:
    """Milliseconds of each step of one report, in this process (medians)."""
    from noiselab.cli.commands.report import figures
    from noiselab.cli.report import charts
    from noiselab.cli.report import inputs as canonical
    from noiselab.cli.report.data import ReportRequest, gather, read_inputs

    req = ReportRequest(SENSOR, first, first + timedelta(days=days - 1))
    store = SqliteStore(folder / "noise.db")
    registry = SqliteRegistry(folder / "registry.db")
    steps: dict[str, Callable[[], object]] = {
        "read_inputs": lambda: read_inputs(store, req),
        "canonical_hash": lambda: canonical.sha256(inputs, req.events),
        "gather": lambda: gather(store, registry, req),
        "charts_png": lambda: [charts.png(f) for f in figures(data).values()],
    }
    times: dict[str, list[float]] = {k: [] for k in steps}
    try:
        inputs = read_inputs(store, req)
        data = gather(store, registry, req)
        for _ in range(rounds):
            for name, step in steps.items():
                t0 = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t0)
        size = sum(len(b) for b in canonical.blocks(inputs, req.events))
    finally:
        store.close()
        registry.close()
    out = {f"{k}_ms": round(statistics.median(v) * 1000, 1) for k, v in times.items()}
    out.update(
        hours=len(inputs.rollups), hist_classes=len(inputs.rollups.hist_bin), events=len(inputs.events)
    )
    out["canonical_bytes"] = size
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--year-days", type=int, default=365, help="0: no year run")
    args = ap.parse_args()
    out: dict[str, object] = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        folder = Path(tmp) / "month"
        folder.mkdir()
        rows, spent = load(folder, args.days, START_S)
        out.update(rows=rows, import_s=round(spent, 1))
        print(json.dumps(out), flush=True)
        first = first_day(START_S)
        run(BASELINE)  # warm the file cache for both
        run(report_cmd(folder, first, args.days, Path(tmp) / "warm.html"))
        base, rep, pdf = [], [], []
        for r in range(args.rounds):
            base.append(run(BASELINE))
            rep.append(run(report_cmd(folder, first, args.days, Path(tmp) / f"r{r}.html")))
            pdf.append(run(report_cmd(folder, first, args.days, Path(tmp) / f"p{r}.html", "--pdf")))
        b, m, p = statistics.median(base), statistics.median(rep), statistics.median(pdf)
        result = {
            "days": args.days,
            "matplotlib_startup_s": [round(x, 3) for x in base],
            "report_s": [round(x, 3) for x in rep],
            "report_pdf_s": [round(x, 3) for x in pdf],
            "ratio": round(m / b, 2),
            "ratio_pdf": round(p / b, 2),
            "target": "< 5x",
        }
        print(json.dumps(result), flush=True)
        print(json.dumps({"breakdown": breakdown(folder, first, args.days, args.rounds)}), flush=True)
        if args.year_days:
            year = Path(tmp) / "year"
            year.mkdir()
            rows, spent = load(year, args.year_days, YEAR_START_S)
            print(json.dumps({"year_rows": rows, "year_import_s": round(spent, 1)}), flush=True)
            first = first_day(YEAR_START_S)
            year_s = run(report_cmd(year, first, args.year_days, Path(tmp) / "year.html"))
            year_pdf_s = run(report_cmd(year, first, args.year_days, Path(tmp) / "year-pdf.html", "--pdf"))
            print(
                json.dumps(
                    {
                        "year_days": args.year_days,
                        "year_report_s": round(year_s, 2),
                        "year_report_pdf_s": round(year_pdf_s, 2),
                        "matplotlib_startup_s": round(run(BASELINE), 3),
                        "breakdown": breakdown(year, first, args.year_days, 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
