"""Load: sustained MQTT ingest at half the measured maximum, with concurrent API queries.

Real processes on loopback: Mosquitto, ``noiselab collect`` and ``noiselab serve`` on one SQLite data
directory. First the maximum end-to-end ingest rate is measured (a backlog drained as fast as the
collector can); then readings are published at half of it for ``--seconds`` while four threads query
the API (current level, 1-h levels, daily records, sensor list). Every 5 s the resident memory (RSS) of
the collector and the API is sampled. Figures: rates, lag, RSS first/last/max, API p50/p99/max.

    .venv/bin/python bench/bench_load.py --seconds 600
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faults.harness import (
    PER_MESSAGE,
    CollectorProcess,
    Publisher,
    messages,
    prime_session,
    start_broker,
    stored,
    wait_for,
)
from faults.slowclients import Server
from noiselab.store.registry import SqliteRegistry

SENSORS = 10


def _queries(port: int, key: str, t0: int, stop: threading.Event, out: list[tuple[float, int]]) -> None:
    day = time.strftime("%Y-%m-%d", time.gmtime(t0 + 86_400))
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + 6 * 3600))
    paths = [
        "/v1/sensors/f-{i}/current",
        f"/v1/sensors/f-{{i}}/levels?start={start}&end={end}&interval=1h",
        f"/v1/sensors/f-{{i}}/daily?start={day}&end={day}",
        "/v1/sensors",
    ]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)].format(i=n % SENSORS)
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers={"X-API-Key": key})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 599
        out.append((time.perf_counter() - t, status))
        n += 1
        stop.wait(0.05)
    conn.close()


def _rss_mb(proc: psutil.Process) -> float:
    return float(proc.memory_info().rss) / 1e6


def run_load(*, duration_s: float = 600.0, backlog_readings: int = 100_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="noiselab-load-") as tmp:
        work = Path(tmp)
        broker = start_broker(work / "mosquitto")
        data = work / "data"
        data.mkdir()
        server = None
        coll = None
        try:
            prime_session(broker, data)
            base = stored(data)[0]
            # 1. the maximum: a backlog queued while no collector runs, then drained
            backlog = messages(backlog_readings // PER_MESSAGE, sensors=SENSORS)
            pub = Publisher(broker.url)
            pub.publish(backlog)
            pub.wait(300)
            coll = CollectorProcess(broker.url, data).start()
            t = time.monotonic()
            wait_for(lambda: stored(data)[0] >= base + backlog_readings, 600, "the backlog", 0.2)
            max_rate = backlog_readings / (time.monotonic() - t)  # includes the collector's start-up
            target = max_rate / 2
            # 2. sustained at half of it, with the API under queries
            key = SqliteRegistry(data / "registry.db").keys.create("engineer")[1]
            server = Server(data)
            procs = {"collector": psutil.Process(coll.proc.pid), "api": psutil.Process(server.proc.pid)}  # type: ignore[union-attr]
            n_msgs = int(target * duration_s / PER_MESSAGE)
            items = messages(n_msgs, first=len(backlog), sensors=SENSORS)
            stop = threading.Event()
            lat: list[tuple[float, int]] = []
            qthreads = [
                threading.Thread(
                    target=_queries, args=(server.port, key, 1_780_000_000, stop, lat), daemon=True
                )
                for _ in range(4)
            ]
            for q in qthreads:
                q.start()
            t_pub = threading.Thread(
                target=pub.publish, args=(items,), kwargs={"rate_per_s": target / PER_MESSAGE}, daemon=True
            )
            t0 = time.monotonic()
            t_pub.start()
            samples = []
            while t_pub.is_alive():
                time.sleep(5.0)
                published = pub.confirmed() * PER_MESSAGE - backlog_readings
                lag = published - (stored(data)[0] - base - backlog_readings)
                samples.append(
                    {
                        "t_s": round(time.monotonic() - t0),
                        **{f"rss_{k}_mb": round(_rss_mb(p), 1) for k, p in procs.items()},
                        "lag_readings": lag,
                    }
                )
            pub_s = time.monotonic() - t0
            expected = base + backlog_readings + n_msgs * PER_MESSAGE
            wait_for(lambda: stored(data)[0] >= expected, 600, "the sustained run's readings", 0.5)
            stop.set()
            for q in qthreads:
                q.join(60)
            pub.wait(60)
            pub.close()
            rows, distinct = stored(data)
        finally:
            if coll is not None and coll.alive():
                coll.terminate()
            if server is not None:
                server.stop()
            broker.stop()
    times = sorted(x for x, _ in lat)
    half = len(samples) // 2 or 1

    def rss(name: str) -> dict[str, float]:
        vals = [s[f"rss_{name}_mb"] for s in samples]
        first, second = vals[:half], vals[half:] or vals[:half]
        return {
            "first_mb": vals[0],
            "last_mb": vals[-1],
            "max_mb": max(vals),
            "mean_first_half_mb": round(statistics.mean(first), 1),
            "mean_second_half_mb": round(statistics.mean(second), 1),
        }

    rss_c, rss_a = rss("collector"), rss("api")
    p99 = times[int(0.99 * (len(times) - 1))]
    return {
        "max_ingest_readings_per_s": round(max_rate),
        "target_readings_per_s": round(target),
        "achieved_readings_per_s": round(n_msgs * PER_MESSAGE / pub_s),
        "duration_s": round(pub_s),
        "readings_published": backlog_readings + n_msgs * PER_MESSAGE,
        "readings_stored": rows - base,
        "duplicates_in_store": rows - distinct,
        "max_lag_readings": max(s["lag_readings"] for s in samples),
        "rss_collector": rss_c,
        "rss_api": rss_a,
        "api_queries": len(times),
        "api_errors": sum(1 for _, s in lat if s >= 400),
        "api_p50_ms": round(statistics.median(times) * 1000, 1),
        "api_p99_ms": round(p99 * 1000, 1),
        "api_max_ms": round(times[-1] * 1000, 1),
        "samples": samples,
        "ok": rows - base == backlog_readings + n_msgs * PER_MESSAGE
        and rows == distinct
        and p99 < 2.0
        and rss_c["mean_second_half_mb"] < 1.25 * rss_c["mean_first_half_mb"] + 20
        and rss_a["mean_second_half_mb"] < 1.25 * rss_a["mean_first_half_mb"] + 20,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--backlog", type=int, default=100_000, help="readings used to measure the maximum")
    args = p.parse_args()
    figures = run_load(duration_s=args.seconds, backlog_readings=args.backlog)
    print(json.dumps(figures, indent=1))
    raise SystemExit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
