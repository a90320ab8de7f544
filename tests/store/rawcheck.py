"""Compare what a store keeps (hourly rollups, minute levels) with a recomputation from its raw readings."""

from __future__ import annotations

import numpy as np

from noiselab.store.base import ReadingStore
from noiselab.store.hourly import merged_rows, rollup_columns
from noiselab.store.minutes import minute_sums


def hour_mismatches(store: ReadingStore, sensor_id: str, start_ms: int, end_ms: int) -> list[str]:
    """Every hour (and minute) in the range whose stored rollup differs from its raw readings; [] = exact."""
    cols = store.read(sensor_id, start_ms, end_ms)
    sensor = np.zeros(len(cols), dtype=np.int64)
    batch = rollup_columns([sensor_id], sensor, cols.start_ms, cols.interval_s, cols.laeq, cols.lafmax,
                           cols.lcpeak)  # fmt: skip
    expected = {row.hour_s: row for row in merged_rows(batch, [])}
    stored = store.rollups(sensor_id, start_ms, end_ms)
    problems = []
    got_hours = stored.bucket_s.tolist()
    if sorted(got_hours) != sorted(expected):
        problems.append(f"{sensor_id}: hours {sorted(got_hours)} != {sorted(expected)}")
    for i, hour_s in enumerate(got_hours):
        want = expected.get(hour_s)
        if want is None:
            continue
        if stored.seconds[i] != want.seconds:
            problems.append(f"{sensor_id} {hour_s}: seconds {stored.seconds[i]} != {want.seconds}")
        if not np.isclose(stored.energy[i], want.energy, rtol=1e-12, atol=0):
            problems.append(f"{sensor_id} {hour_s}: energy {stored.energy[i]} != {want.energy}")
    want_classes = int(batch.hist_keys.size)
    if stored.hist_bin.size != want_classes or stored.hist_seconds.sum() != batch.hist_seconds.sum():
        problems.append(f"{sensor_id}: histogram classes {stored.hist_bin.size} != {want_classes}")
    sums = minute_sums(sensor, cols.start_ms, cols.interval_s, cols.laeq, cols.lafmax, cols.lcpeak)
    minute_levels = getattr(store, "minute_levels", None)
    if minute_levels is not None:
        got = minute_levels(sensor_id, start_ms, end_ms, bucket_s=60)
        if got.bucket_s.tolist() != sums.minute_s.tolist() or got.seconds.tolist() != sums.seconds.tolist():
            problems.append(f"{sensor_id}: minute seconds differ from raw")
    return problems
