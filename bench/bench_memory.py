"""API memory while serving a year of 1-minute data: resident memory must stay flat across requests.

Run: ``.venv/bin/python bench/bench_memory.py [--rounds 20]``. One sensor gets a year of 1-minute readings
(525 600, with pass-bys) in a fresh SQLite store through the bulk write path; the app is served in this
process (TestClient: routing, auth, views, JSON). Each round asks for the year's daily records, annual
values, hourly levels, 15-minute levels of 100 days, 1-minute levels of six days, all the year's events
(pages of 10 000), and raw readings of a day; RSS (``/proc/self/statm``) is sampled after every round. Flat
means the mean of the second half of the rounds is within 10 % + 10 MB of the first half's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.store.base import ReadingBatch, write_batch
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

YEAR = 2025
SENSOR = "year-1"


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load(store: SqliteStore) -> int:
    rng = np.random.default_rng(2)
    t0 = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
    n = 365 * 1440
    for lo in range(0, n, 100_000):
        m = min(n, lo + 100_000) - lo
        t = t0 + (lo + np.arange(m)) * 60
        hour = (t % 86400) / 3600
        lv = 55 + 8 * np.sin((hour - 8) / 24 * 2 * np.pi) + rng.normal(0, 3, m)
        lv += np.where(rng.random(m) < 0.02, 18.0, 0.0)
        lv = np.round(np.clip(lv, 20, 140), 1)
        nan = np.full(m, np.nan)
        write_batch(
            store,
            ReadingBatch(
                [SENSOR], np.zeros(m, dtype=np.int64), t * 1000, np.full(m, 60.0), lv, lv + 5, nan, nan
            ),
        )
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        work = Path(tmp)
        store = SqliteStore(work / "noise.db")
        registry = SqliteRegistry(work / "registry.db")
        registry.upsert_sensor(Sensor(SENSOR, public=True, placed=True))
        n = _load(store)
        key = registry.keys.create("engineer")[1]
        client = TestClient(create_app(Settings(data_dir=work), store, registry))
        headers = {"Authorization": f"Bearer {key}"}
        base = f"/v1/sensors/{SENSOR}"
        urls = [
            f"{base}/daily?start={YEAR}-01-01&end={YEAR}-12-31",
            f"{base}/annual?year={YEAR}",
            f"{base}/levels?start={YEAR}-01-01T00:00:00Z&end={YEAR + 1}-01-01T00:00:00Z&interval=1h",
            f"{base}/levels?start={YEAR}-03-01T00:00:00Z&end={YEAR}-06-09T00:00:00Z&interval=15min",
            f"{base}/levels?start={YEAR}-06-01T00:00:00Z&end={YEAR}-06-07T00:00:00Z&interval=1min",
            f"{base}/levels?start={YEAR}-06-01T00:00:00Z&end={YEAR}-06-02T00:00:00Z&interval=raw",
        ]
        events = f"{base}/events?start={YEAR}-01-01T00:00:00Z&end={YEAR + 1}-01-01T00:00:00Z&limit=10000"
        samples, times = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for url in urls:
                resp = client.get(url, headers=headers)
                assert resp.status_code == 200, (url, resp.text[:200])
            nxt: str | None = events
            n_events = 0
            while nxt:
                resp = client.get(nxt, headers=headers)
                assert resp.status_code == 200, resp.text[:200]
                n_events += len(resp.json())
                link = resp.links.get("next", {}).get("url")
                nxt = link.replace("http://testserver", "") if link else None
            times.append(time.perf_counter() - t0)
            samples.append(_rss_mb())
        half = len(samples) // 2
        first, second = statistics.mean(samples[:half]), statistics.mean(samples[half:])
        out = {
            "readings": n,
            "events_per_round": n_events,
            "round_s_median": round(statistics.median(times), 2),
            "rss_mb_first_last_max": [round(samples[0], 1), round(samples[-1], 1), round(max(samples), 1)],
            "rss_mb_mean_first_half": round(first, 1),
            "rss_mb_mean_second_half": round(second, 1),
            "rss_mb_every_5_rounds": [round(x) for x in samples[::5]],
            "flat": second <= 1.10 * first + 10,
            "load_1min": os.getloadavg()[0],
        }
        client.close()
        store.close()
        registry.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
