"""Benchmark: a year-long living-lab trial (2 treated + 2 reference sensors, 2 000 day-block resamples).

    .venv/bin/python bench/bench_trials.py [--resamples 2000] [--repeat 5]

Synthesises hourly LAeq for a year in Europe/Copenhagen (before = first half, after = second half, with a
traffic change and a known insertion loss), then times, in the same run:

- baseline: a plain numpy energy mean of the same hourly data per sensor, ``10·log10(mean(10**(L/10)))``
  (the floor: touching every value once);
- ours: ``processing.trials.trial_effect`` (local hours, matched hours, IL overall and per period, 2 000
  resamples, warnings), including the local-time assignment of the grid.

Prints the best of ``--repeat`` runs and the ratio ours / baseline. Target (issue #12): < 1 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from noiselab.processing.trials import TrialDesign, trial_effect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.processing.trialdata import synthetic  # after the path to the repository root


def best_of(repeat: int, fn: object) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    s = synthetic(
        1, il_db=4.0, shift_db=3.0, start=date(2027, 1, 1), days_before=180, gap_days=5, days_after=180,
        n_treated=2, n_reference=2, tz="Europe/Copenhagen",
    )  # fmt: skip
    design = TrialDesign(method="baci", before=s.before, after=s.after, resamples=args.resamples)
    levels = np.concatenate([s.treated_db, s.reference_db])

    def baseline() -> None:
        with np.errstate(invalid="ignore"):
            10.0 * np.log10(np.nanmean(np.power(10.0, levels / 10.0), axis=1))

    def ours() -> None:
        trial_effect(s.inputs(), design)  # inputs() includes the local-time assignment of the grid

    result = trial_effect(s.inputs(), design)
    t_base = best_of(args.repeat, baseline)
    t_ours = best_of(args.repeat, ours)
    overall = result.effects[0]
    print(f"hours on the grid: {s.hour_s.size}, sensors: {levels.shape[0]}, resamples: {args.resamples}")
    print(f"IL = {overall.db:.2f} dB, 95 % interval {overall.ci95}, true 4.00 dB")
    print(f"baseline numpy energy mean: {t_base * 1e3:8.2f} ms")
    ratio = t_ours / t_base
    print(f"trial_effect:               {t_ours * 1e3:8.2f} ms  (ratio {ratio:.0f}x; target < 1000 ms)")


if __name__ == "__main__":
    main()
