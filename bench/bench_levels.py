"""Levels per interval over 35 days of 1-s data: 15-minute and 1-minute levels from the minute rollups
against the 1-hour levels (hourly rollups) and against the raw scan they replace, all in the same run.

Run: ``.venv/bin/python bench/bench_levels.py [--days 35] [--repeat 5]``. Two sensors of 1-s readings
(``bench/readings_file.py``) are imported with ``noiselab import``'s Importer into a fresh SQLite store in
/tmp (the import rate is printed too); then the levels view (``api.views.levels.bucket_rows``, what the
route calls) is timed per interval, alternating the cases, median (and best) of ``--repeat``; so is the
HTTP route itself (``GET /v1/sensors/vb-01/levels``, engineer key, in-process TestClient: routing, auth,
the view and the JSON encoding, no network), and so are ``/daily`` and ``/events`` over 30 days (events
kept at write time; ``min_duration_s=2.999`` forces the path that finds them on the loud raw readings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient
from readings_file import START_S, write_file

from noiselab.api.views import levels
from noiselab.api.views.source import rollups_from_raw
from noiselab.cli.commands.importer import Importer
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore

TZ = "Europe/Copenhagen"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def _client(work: Path, store: SqliteStore, registry: SqliteRegistry) -> tuple[TestClient, str]:
    from noiselab.api.app import create_app
    from noiselab.domain.settings import Settings

    key = registry.keys.create("engineer")[1]
    client = TestClient(create_app(Settings(data_dir=work), store, registry))
    return client, key


def _get(client: TestClient, key: str, url: str) -> list[object]:
    resp = client.get(url, headers={"Authorization": f"Bearer {key}"})
    resp.raise_for_status()
    rows: list[object] = resp.json()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=35.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    out: dict[str, object] = {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        work = Path(tmp)
        file = work / "readings.csv"
        n = write_file(file, sensors=2, days=args.days)
        store = SqliteStore(work / "noise.db")
        registry = SqliteRegistry(work / "registry.db")
        t0 = time.perf_counter()
        Importer(store, registry, store_url="sqlite:///bench", chunk_rows=100_000).run(file)
        out["import_rows"] = n
        out["import_rows_per_s"] = round(n / (time.perf_counter() - t0))
        file.unlink()
        print(json.dumps(out), flush=True)

        start_ms = START_S * 1000
        end_ms = start_ms + int(args.days * 86400) * 1000
        day_end_ms = start_ms + 86_400_000
        cases: dict[str, Callable[[], int]] = {
            "1h": lambda: len(levels.bucket_rows(store, "vb-01", start_ms, end_ms, "1h", TZ)),
            "15min": lambda: len(levels.bucket_rows(store, "vb-01", start_ms, end_ms, "15min", TZ)),
            "15min_raw_scan": lambda: len(rollups_from_raw(store, "vb-01", start_ms, end_ms, bucket_s=900)),
            "1min_one_day": lambda: len(levels.bucket_rows(store, "vb-01", start_ms, day_end_ms, "1min", TZ)),
            "1min_one_day_raw_scan": lambda: len(
                rollups_from_raw(store, "vb-01", start_ms, day_end_ms, bucket_s=60)
            ),
        }
        client, key = _client(work, store, registry)
        iso = _iso(start_ms), _iso(end_ms)
        for interval in ("1h", "15min"):
            url = f"/v1/sensors/vb-01/levels?start={iso[0]}&end={iso[1]}&interval={interval}"
            cases[f"http_{interval}"] = lambda url=url: len(_get(client, key, url))
        days = f"start={_day(start_ms)}&end={_day(start_ms + 29 * 86_400_000)}&day_start=00:00"
        events_url = f"/v1/sensors/vb-01/events?start={_iso(start_ms)}&end={_iso(start_ms + 30 * 86_400_000)}"
        cases["http_daily_30d"] = lambda: len(_get(client, key, f"/v1/sensors/vb-01/daily?{days}"))
        cases["http_events_30d"] = lambda: len(_get(client, key, events_url + "&limit=10000"))
        cases["http_events_30d_from_raw"] = lambda: len(
            _get(client, key, events_url + "&limit=10000&min_duration_s=2.999")
        )
        times: dict[str, list[float]] = {k: [] for k in cases}
        rows: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, case in cases.items():
                t = time.perf_counter()
                rows[name] = case()
                times[name].append(time.perf_counter() - t)
        med = {k: statistics.median(v) for k, v in times.items()}
        out["best_ms"] = {k: round(min(v) * 1000, 1) for k, v in times.items()}  # least disturbed by load
        out |= {f"{k}_ms": round(v * 1000, 1) for k, v in med.items()}
        out["rows"] = rows
        out["15min_vs_1h"] = round(med["15min"] / med["1h"], 2)
        out["http_15min_vs_1h"] = round(med["http_15min"] / med["http_1h"], 2)
        out["http_events_vs_daily_30d"] = round(med["http_events_30d"] / med["http_daily_30d"], 2)
        out["events_from_raw_vs_kept"] = round(med["http_events_30d_from_raw"] / med["http_events_30d"], 1)
        out["15min_raw_scan_vs_15min"] = round(med["15min_raw_scan"] / med["15min"], 1)
        out["1min_raw_scan_vs_1min"] = round(med["1min_one_day_raw_scan"] / med["1min_one_day"], 1)
        store.close()
        registry.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
