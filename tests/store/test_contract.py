"""The ReadingStore contract, run against SqliteStore and InfluxStore (real influxd 1.6 behind the shim)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from noiselab.domain.readings import Reading
from noiselab.processing.rollups import Rollups, rollup
from noiselab.store.base import LevelBuckets, ReadingBatch, ReadingStore, write_batch
from tests.store.series import assert_rollups_equal, expected_rollups, local_midnight_s, series

T0 = local_midnight_s("2026-05-04")  # a Monday, UTC+2
ALL = (0, 2**62)


def test_write_then_read_returns_columns_in_start_order(store: ReadingStore) -> None:
    rs = series("s-1", T0, 100)
    assert store.write(rs).stored == 100
    cols = store.read("s-1", *ALL)
    assert len(cols) == 100
    np.testing.assert_array_equal(cols.start_ms, [r.start_ms for r in rs])
    np.testing.assert_array_equal(cols.laeq, [r.laeq for r in rs])
    np.testing.assert_array_equal(cols.interval_s, 10.0)
    assert np.isnan(cols.lafmax[0]) and cols.lafmax[1] == rs[1].lafmax  # missing maxima come back as NaN
    assert cols.start_ms.dtype == np.int64


def test_read_only_the_loud_readings(store: ReadingStore) -> None:
    rs = [
        Reading("s-1", int((T0 + i) * 1000), 1.0, level)
        for i, level in enumerate([60.0, 70.0, 70.1, 85.0, 65.0])
    ]
    store.write(rs)
    loud = store.read("s-1", *ALL, min_laeq_db=70.0)  # strictly above, as events are
    assert loud.laeq.tolist() == [70.1, 85.0]
    assert loud.start_ms.tolist() == [int((T0 + 2) * 1000), int((T0 + 3) * 1000)]
    assert len(store.read("s-1", *ALL, min_laeq_db=90.0)) == 0


def test_resend_is_stored_once_and_first_version_wins(store: ReadingStore) -> None:
    rs = series("s-1", T0, 50)
    assert store.write(rs).stored == 50
    changed = [Reading(r.sensor_id, r.start_ms, r.interval_s, r.laeq + 10, source="other") for r in rs]
    result = store.write(changed)
    assert (result.stored, result.duplicates, result.expired) == (0, 50, 0)
    cols = store.read("s-1", *ALL)
    assert len(cols) == 50
    np.testing.assert_array_equal(cols.laeq, [r.laeq for r in rs])
    latest = store.latest("s-1")
    assert latest is not None and latest.source == "native"


def test_duplicates_inside_one_batch_count_once(store: ReadingStore) -> None:
    rs = series("s-1", T0, 10)
    result = store.write([*rs, rs[3], rs[3], Reading("s-1", rs[0].start_ms, 10.0, 99.0)])
    assert (result.stored, result.duplicates) == (10, 3)
    assert store.read("s-1", *ALL).laeq[0] == rs[0].laeq
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))


def test_out_of_order_and_late_writes_build_the_same_rollups(store: ReadingStore) -> None:
    rs = series("s-1", T0, 3 * 360 + 17)  # three hours and a bit of 10-s readings
    shuffled = rs[:]
    random.Random(1).shuffle(shuffled)
    late = shuffled[:200]  # arrive after everything else, into hours that already have rollups
    for i in range(200, len(shuffled), 97):
        store.write(shuffled[i : i + 97])
    store.write(late)
    cols = store.read("s-1", *ALL)
    np.testing.assert_array_equal(cols.start_ms, sorted(r.start_ms for r in rs))
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))


def test_resends_do_not_double_count_rollups(store: ReadingStore) -> None:
    rs = series("s-1", T0, 720)
    store.write(rs[:400])
    store.write(rs[300:720])  # overlaps by 100
    store.write(rs[::7])  # all old
    store.write(rs[:1] * 5)
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))
    r = store.rollups("s-1", *ALL)
    assert r.seconds.sum() == 7200.0


def test_rollups_are_per_sensor_and_hour(store: ReadingStore) -> None:
    a, b = series("s-a", T0, 400, seed=1), series("s-b", T0 + 1800, 400, seed=2)
    store.write([x for pair in zip(a, b, strict=True) for x in pair])  # interleaved sensors in one batch
    assert_rollups_equal(store.rollups("s-a", *ALL), expected_rollups(a))
    assert_rollups_equal(store.rollups("s-b", *ALL), expected_rollups(b))
    assert store.sensor_ids() == ["s-a", "s-b"]


def test_rollups_select_hours_starting_in_the_range(store: ReadingStore) -> None:
    store.write(series("s-1", T0, 6 * 360))
    h0 = int(T0) * 1000
    r = store.rollups("s-1", h0 + 3_600_000, h0 + 3 * 3_600_000)
    assert r.bucket_s.tolist() == [int(T0) + 3600, int(T0) + 7200]
    assert len(store.rollups("s-1", h0 + 1, h0 + 3_600_000)) == 0  # the first hour starts before the range
    assert len(store.rollups("s-1", h0, h0 + 1)) == 1


def test_large_range_and_empty_ranges(store: ReadingStore) -> None:
    rs = series("s-1", T0, 6000, interval_s=1.0)
    rs += series("s-1", local_midnight_s("2025-01-01"), 3, seed=5)  # far earlier
    rs += series("s-1", local_midnight_s("2027-12-31"), 3, seed=6)  # far later
    for i in range(0, len(rs), 2500):
        store.write(rs[i : i + 2500])
    cols = store.read("s-1", -(2**62), 2**62)
    assert len(cols) == 6006
    assert np.all(np.diff(cols.start_ms) > 0)
    assert len(store.read("s-1", *ALL, limit=10)) == 10
    assert store.read("s-1", *ALL, limit=10).start_ms[0] == min(r.start_ms for r in rs)
    h0 = int(T0) * 1000
    assert len(store.read("s-1", h0, h0)) == 0
    assert len(store.read("s-1", h0 + 5, h0 - 5)) == 0
    assert len(store.read("s-1", 0, h0 - 10**12)) == 0  # a range with no data
    assert len(store.rollups("s-1", h0, h0)) == 0
    assert len(store.rollups("s-1", 0, 1000)) == 0
    assert store.rollups("s-1", -(2**62), 2**62).seconds.sum() == 6000 + 60


def test_unknown_sensor(store: ReadingStore) -> None:
    store.write(series("s-1", T0, 5))
    assert store.latest("nobody") is None
    assert len(store.read("nobody", *ALL)) == 0
    empty = store.rollups("nobody", *ALL)
    assert isinstance(empty, Rollups) and len(empty) == 0
    assert "nobody" not in store.sensor_ids()


def test_empty_store(store: ReadingStore) -> None:
    assert store.sensor_ids() == []
    assert store.write([]).stored == 0
    store.ping()


def test_latest_is_the_latest_start_not_the_last_write(store: ReadingStore) -> None:
    rs = series("s-1", T0, 30)
    store.write(rs[20:])
    store.write(rs[:20])
    latest = store.latest("s-1")
    assert latest == rs[-1]


def test_retention_deletes_raw_keeps_rollups_and_refuses_expired(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(raw_retention_days=30)
    now_s = T0 + 60 * 86400
    old, recent = series("s-1", T0, 720), series("s-1", now_s - 86400, 360, seed=3)
    store.write(old + recent)
    store.apply_retention(now_s)
    cols = store.read("s-1", *ALL)
    np.testing.assert_array_equal(cols.start_ms, [r.start_ms for r in recent])
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(old + recent))
    # a re-send of deleted readings cannot be told apart from new ones: refused, never counted twice
    result = store.write(old[:100] + series("s-1", now_s - 3600, 10, seed=4))
    assert (result.stored, result.expired, result.duplicates) == (10, 100, 0)
    assert store.rollups("s-1", *ALL).seconds.sum() == (720 + 360 + 10) * 10.0
    assert "s-1" in store.sensor_ids()


def test_retention_zero_keeps_everything(store: ReadingStore) -> None:
    rs = series("s-1", T0, 10)
    store.write(rs)
    store.apply_retention(T0 + 10 * 365 * 86400)
    assert len(store.read("s-1", *ALL)) == 10


# --- minute rollups (15-minute and 1-minute levels) and the bulk write path ------------------------------
def _expected_buckets(readings: list[Reading], bucket_s: int) -> Rollups:
    first = {(r.sensor_id, r.start_ms): r for r in reversed(readings)}  # first of equal keys wins
    rs = sorted(first.values(), key=lambda r: r.start_ms)

    def col(name: str) -> np.ndarray:
        return np.array([np.nan if getattr(r, name) is None else getattr(r, name) for r in rs], dtype=float)

    start = np.array([r.start_ms / 1000 for r in rs])
    return rollup(np.zeros(len(rs), dtype=np.int64), start, col("interval_s"), col("laeq"), col("lafmax"),
                  col("lcpeak"), bucket_s=bucket_s)  # fmt: skip


def _assert_levels_equal(got: LevelBuckets, want: Rollups) -> None:
    np.testing.assert_array_equal(got.bucket_s, want.bucket_s)
    np.testing.assert_allclose(got.energy, want.energy, rtol=1e-12)  # energy sums, in another order
    np.testing.assert_array_equal(got.seconds, want.seconds)
    np.testing.assert_array_equal(got.lafmax, want.lafmax)  # NaN where never reported
    np.testing.assert_array_equal(got.lcpeak, want.lcpeak)


def test_minute_and_quarter_hour_levels_equal_a_recomputation_from_raw(store: ReadingStore) -> None:
    rs = series("s-1", T0 + 7, 2 * 360 + 11, interval_s=10.0)  # not minute-aligned on purpose
    shuffled = rs[:]
    random.Random(4).shuffle(shuffled)
    for i in range(0, len(shuffled), 101):
        store.write(shuffled[i : i + 101])
    store.write(rs[100:300])  # a re-send counts once
    changed = [Reading(r.sensor_id, r.start_ms, r.interval_s, 99.0, lafmax=120.0) for r in rs[:50]]
    store.write(changed)  # first version wins, in the minutes too
    whole_hours = (int(T0 * 1000), int(T0 * 1000) + 3 * 3_600_000)  # whole stored buckets of both sizes
    for bucket_s in (60, 900, 300):  # 300: summed from minutes
        for span in (ALL, whole_hours):
            got = store.minute_levels("s-1", *span, bucket_s=bucket_s)
            assert got.bucket_size_s == bucket_s
            _assert_levels_equal(got, _expected_buckets(rs, bucket_s))
    assert store.minute_levels("s-1", *ALL, bucket_s=900).seconds.sum() == len(rs) * 10.0


def test_a_late_reading_updates_only_its_minute(store: ReadingStore) -> None:
    rs = series("s-1", T0, 60 * 6, interval_s=1.0, seed=2)  # six minutes of 1-s readings, one missing
    late = rs.pop(150)
    store.write(rs)
    before = store.minute_levels("s-1", *ALL)
    store.write([late])
    after = store.minute_levels("s-1", *ALL)
    changed = np.flatnonzero(after.seconds != before.seconds)
    assert changed.tolist() == [2] and after.seconds[2] == 60.0
    _assert_levels_equal(after, _expected_buckets([*rs, late], 60))


def test_minute_levels_select_minutes_starting_in_the_range(store: ReadingStore) -> None:
    store.write(series("s-1", T0, 180, interval_s=10.0))  # 30 minutes
    t0_ms = int(T0 * 1000)
    got = store.minute_levels("s-1", t0_ms + 60_000, t0_ms + 5 * 60_000)
    assert (got.bucket_s - T0).tolist() == [60, 120, 180, 240]
    assert len(store.minute_levels("s-1", t0_ms, t0_ms)) == 0
    assert len(store.minute_levels("nobody", *ALL)) == 0
    quarter = store.minute_levels("s-1", *ALL, bucket_s=900)
    assert (quarter.bucket_s - T0).tolist() == [0, 900] and quarter.seconds.tolist() == [900.0, 900.0]
    for bad in (0, 45, -60):
        with pytest.raises(ValueError, match="multiple of 60"):
            store.minute_levels("s-1", *ALL, bucket_s=bad)


def test_bulk_write_equals_reading_writes(store: ReadingStore) -> None:
    rs = series("a", T0, 400, seed=5)
    ids = ["b", "a"]
    batch = ReadingBatch.from_readings(rs + series("b", T0, 10, seed=6))
    assert write_batch(store, batch).stored == 410
    again = write_batch(store, ReadingBatch.from_readings(rs[100:200] + series("a", T0 + 4000, 5, seed=7)))
    assert (again.stored, again.duplicates) == (5, 100)
    store.write(series("c", T0, 400, seed=5))  # the same levels under another sensor, one reading at a time
    store.write(series("c", T0 + 4000, 5, seed=7))
    for a, c in ((store.read("a", *ALL), store.read("c", *ALL)),):
        np.testing.assert_array_equal(a.start_ms, c.start_ms)
        for name in ("interval_s", "laeq", "lafmax", "lafmin", "lcpeak"):
            np.testing.assert_array_equal(getattr(a, name), getattr(c, name))
    assert_rollups_equal(store.rollups("a", *ALL), store.rollups("c", *ALL))
    expected = _expected_buckets(rs + series("a", T0 + 4000, 5, seed=7), 60)
    _assert_levels_equal(store.minute_levels("a", *ALL), expected)
    assert sorted(ids) == [s for s in store.sensor_ids() if s in ids]


def test_bulk_write_keeps_the_first_of_equal_keys_and_refuses_expired(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(raw_retention_days=30)
    now_s = T0 + 60 * 86400
    store.apply_retention(now_s)
    old, recent = series("s-1", T0, 5), series("s-1", now_s - 600, 5, seed=2)
    dup = Reading("s-1", recent[0].start_ms, 10.0, 99.0)
    result = write_batch(store, ReadingBatch.from_readings(old + recent + [dup]))
    assert (result.stored, result.duplicates, result.expired) == (5, 1, 5)
    assert store.read("s-1", *ALL).laeq.tolist() == [r.laeq for r in recent]
