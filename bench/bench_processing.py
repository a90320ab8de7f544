"""Benchmark: vectorised daily metrics vs the bare numpy energy kernel and a plain pandas groupby, same run.

    .venv/bin/python bench/bench_processing.py [--sensors 10] [--days 30] [--pandas-sensors 1]

Synthesises ``sensors × days`` of 1-s LAeq readings (float32 levels, int64 start seconds, int32 sensor index;
a traffic-like day/evening/night pattern plus noise) in Europe/Copenhagen, then times:

- kernel: ``np.sum(10**(L/10))`` over the same float32 array (the practical lower bound);
- ours: ``processing.daily.daily_from_raw`` (all daily metrics; events off, then on), and
  ``processing.events.find_events`` alone (the full event table: start, duration, max, SEL);
- pandas: groupby on (sensor, local date, period) of energies + per-day quantiles, on ``--pandas-sensors``
  sensors (readings/s is then compared; pandas is slow enough that the full set is not worth waiting for).

Peak extra memory of ``daily_from_raw`` is measured with tracemalloc (numpy reports its buffers to it).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from noiselab.processing.daily import daily_from_raw
from noiselab.processing.events import find_events
from noiselab.processing.periods import SCHEMES

TZ = "Europe/Copenhagen"


def synthesise(n_sensors: int, n_days: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t0 = int(datetime(2026, 3, 15, tzinfo=ZoneInfo(TZ)).timestamp())  # spans the spring DST change
    per = n_days * 86400
    start = np.tile(np.arange(t0, t0 + per, dtype=np.int64), n_sensors)
    sensor = np.repeat(np.arange(n_sensors, dtype=np.int32), per)
    hour = ((start - t0) // 3600) % 24
    base = np.where((hour >= 7) & (hour < 19), 65.0, np.where((hour >= 19) & (hour < 22), 60.0, 52.0))
    laeq = (base + rng.normal(0.0, 4.0, start.size)).astype(np.float32)
    return sensor, start, laeq


def timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def pandas_daily(sensor: np.ndarray, start: np.ndarray, laeq: np.ndarray):  # type: ignore[no-untyped-def]
    import pandas as pd

    table = SCHEMES["dk"].hour_table()
    local = pd.to_datetime(start, unit="s", utc=True).tz_convert(TZ)
    df = pd.DataFrame({"sensor": sensor, "date": local.date, "period": table[local.hour], "laeq": laeq})
    df["e"] = np.power(10.0, df["laeq"].astype("float64") / 10.0)
    per = df.groupby(["sensor", "date", "period"])["e"].mean().unstack("period")
    levels = 10 * np.log10(per)
    w, k = SCHEMES["dk"].weights_h, SCHEMES["dk"].penalties_db
    lden = 10 * np.log10((np.power(10.0, (levels + k) / 10.0) * w).sum(axis=1) / 24)
    q = df.groupby(["sensor", "date"])["laeq"].quantile([0.05, 0.1, 0.5, 0.9]).unstack()
    return lden, q


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sensors", type=int, default=10)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--pandas-sensors", type=int, default=1)
    args = ap.parse_args()

    sensor, start, laeq = synthesise(args.sensors, args.days)
    n = laeq.size
    input_mb = (sensor.nbytes + start.nbytes + laeq.nbytes) / 1e6
    print(
        f"readings: {n:,} ({args.sensors} sensors x {args.days} days of 1-s LAeq), input {input_mb:.0f} MB "
        f"(levels alone {laeq.nbytes / 1e6:.0f} MB)"
    )

    t_kernel, _ = timed(lambda: float(np.sum(np.power(10.0, laeq.astype(np.float64) / 10.0))), repeat=2)
    t_ours, table = timed(lambda: daily_from_raw(sensor, start, 1, laeq, event_thresholds=None), repeat=2)
    t_ours_ev, _ = timed(lambda: daily_from_raw(sensor, start, 1, laeq), repeat=2)
    t_find, events = timed(lambda: find_events(sensor, start, 1, laeq), repeat=2)
    tracemalloc.start()
    daily_from_raw(sensor, start, 1, laeq, event_thresholds=None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    m = args.pandas_sensors * args.days * 86400
    t_pd, _ = timed(lambda: pandas_daily(sensor[:m], start[:m], laeq[:m]), repeat=2)

    rate = lambda count, secs: count / secs / 1e6  # noqa: E731 - a tiny local formatter
    print(f"kernel  10**(L/10) sum      {t_kernel:7.2f} s  {rate(n, t_kernel):7.1f} M readings/s")
    print(
        f"ours    daily_from_raw      {t_ours:7.2f} s  {rate(n, t_ours):7.1f} M readings/s  "
        f"({len(table)} daily records)"
    )
    print(f"ours    + events 65/70 dB   {t_ours_ev:7.2f} s  {rate(n, t_ours_ev):7.1f} M readings/s")
    print(
        f"ours    find_events 65/70   {t_find:7.2f} s  {rate(n, t_find):7.1f} M readings/s  "
        f"({len(events):,} events)"
    )
    print(f"pandas  groupby ({m:,} rows) {t_pd:7.2f} s  {rate(m, t_pd):7.1f} M readings/s")
    print(
        f"ratio ours/kernel time: {t_ours / t_kernel:.2f}x   pandas/ours time per reading: "
        f"{(t_pd / m) / (t_ours / n):.1f}x"
    )
    print(
        f"peak extra memory of daily_from_raw: {peak / 1e6:.0f} MB = {peak / laeq.nbytes:.2f}x levels, "
        f"{peak / (input_mb * 1e6):.2f}x all input arrays"
    )


if __name__ == "__main__":
    main()
