"""API latency and throughput: /current and a year of /daily against a constant FastAPI endpoint.

Method: a data directory gets one sensor with a year of 5-minute readings (hourly rollups maintained by the
store as it writes). The noiselab app, plus a constant endpoint ``GET /bench/constant`` added to the same
app, is served by uvicorn in a subprocess on a free loopback port (one worker). While a writer subprocess
ingests 1-s readings of other sensors into the same store (about 1000 readings/s, like a busy collector),
a client on 127.0.0.1 (with an engineer key, so the public rate limit does not apply) sends a bounded
number of sequential keep-alive requests to each endpoint; we report requests/s, p50 and p99 latency, and
the ratios to the constant endpoint measured in the same run.

    .venv/bin/python bench/bench_api.py [--requests 300] [--no-ingest]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx  # the maintained fork that starlette.testclient uses (test extras)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR = 2025
STEP_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data_dir: Path) -> str:
    """Write the year of readings; return an engineer key (keyed reads are not rate-limited)."""
    from noiselab.domain.readings import Reading
    from noiselab.store.registry import Sensor, SqliteRegistry
    from noiselab.store.sqlite import SqliteStore

    store = SqliteStore(data_dir / "noise.db")
    SqliteRegistry(data_dir / "registry.db").upsert_sensor(
        Sensor("bench-1", public=True, placed=True, facade=True)
    )
    t0 = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
    n = 365 * 86_400 // STEP_S
    for lo in range(0, n, 20_000):
        store.write(
            [
                Reading("bench-1", (t0 + i * STEP_S) * 1000, float(STEP_S), 50.0 + (i % 97) / 4, 70.0)
                for i in range(lo, min(n, lo + 20_000))
            ]
        )
    store.close()
    return SqliteRegistry(data_dir / "registry.db").keys.create("engineer", label="bench")[1]


def serve(data_dir: str, port: int) -> None:
    import uvicorn

    from noiselab.api.app import create_app
    from noiselab.domain.settings import Settings
    from noiselab.store.registry import SqliteRegistry
    from noiselab.store.sqlite import SqliteStore

    settings = Settings(data_dir=Path(data_dir))
    app = create_app(
        settings, SqliteStore(Path(data_dir) / "noise.db"), SqliteRegistry(settings.registry_path)
    )

    @app.get("/bench/constant")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def ingest(data_dir: str) -> None:
    """Write 100 one-second readings for each of 10 sensors every second until killed."""
    from noiselab.domain.readings import Reading
    from noiselab.store.sqlite import SqliteStore

    store = SqliteStore(Path(data_dir) / "noise.db")
    t = int(time.time()) - 86_400
    while True:
        batch = [Reading(f"ingest-{k}", (t + i) * 1000, 1.0, 60.0) for k in range(10) for i in range(100)]
        store.write(batch)
        t += 100
        time.sleep(1.0)


def measure(client: httpx.Client, url: str, n: int) -> dict[str, float]:
    for _ in range(min(10, n)):  # warm-up
        client.get(url).raise_for_status()
    lat = []
    t_start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        client.get(url).raise_for_status()
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - t_start
    lat.sort()
    return {
        "rps": n / total,
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-ingest", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        t = time.perf_counter()
        key = prepare(data_dir)
        print(f"prepared a year of {STEP_S}-s readings in {time.perf_counter() - t:.1f} s")
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        me = str(Path(__file__).resolve())
        server = subprocess.Popen([sys.executable, me, "--serve", str(data_dir), str(port)], env=env)
        writer = None
        if not args.no_ingest:
            writer = subprocess.Popen([sys.executable, me, "--ingest", str(data_dir)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60, headers={"X-API-Key": key}) as client:
                for _ in range(200):
                    try:
                        client.get("/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                urls = {
                    "constant": "/bench/constant",
                    "current": "/v1/sensors/bench-1/current",
                    "daily (year)": f"/v1/sensors/bench-1/daily?start={YEAR}-01-01&end={YEAR}-12-31",
                }
                results = {}
                for name, url in urls.items():
                    n = args.requests if name != "daily (year)" else max(20, args.requests // 10)
                    results[name] = measure(client, url, n)
            ref = results["constant"]
            ingesting = "while ingesting ~1000 readings/s" if writer else "no concurrent ingest"
            print(f"uvicorn, 1 worker, sequential keep-alive client on 127.0.0.1, {ingesting}")
            print(f"{'endpoint':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'rps ratio':>11}{'p99 ratio':>11}")
            for name, r in results.items():
                print(
                    f"{name:<14}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                    f"{r['rps'] / ref['rps']:>11.3f}{r['p99_ms'] / ref['p99_ms']:>11.1f}"
                )
        finally:
            for proc in (writer, server):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--ingest":
        ingest(sys.argv[2])
    else:
        main()
