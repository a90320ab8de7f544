"""LA90 per period (``la90_day``, ``la90_evening``, ``la90_night``) against hand-built sequences.

LA90 is the level exceeded 90 % of the time: the lowest 0.1 dB class whose cumulative share of the period's
measured time reaches 10 % (SPEC §5 laN, time-weighted; :mod:`processing.percentiles`). Each case below is
laid out so that the answer can be read off the sequence, and most sit exactly on the 10 % boundary so that
one second more or less flips it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from noiselab.processing.daily import daily_from_raw, daily_from_rollups
from noiselab.processing.periods import Period, PeriodScheme
from noiselab.processing.rollups import rollup
from tests.processing.layout import day_span_s, noise_day_span_s

JUNE = date(2026, 6, 10)
SPRING = date(2026, 3, 28)  # its night (22:00 -> 07:00) loses an hour: 8 h
AUTUMN = date(2026, 10, 24)  # its night gains one: 10 h, 02:00-03:00 twice
QUIET, LOUD = 40.0, 60.0


def _night_start(day: date) -> int:
    """UTC seconds of 22:00 local on ``day``: the night ends with the noise day, 8, 9 or 10 h later."""
    t0, _ = noise_day_span_s(day)
    return t0 + 15 * 3600  # 07:00 + 15 h; the DST change falls later, inside the night


def _noise_day(day: date, level_db: float = LOUD) -> tuple[np.ndarray, np.ndarray]:
    t0, t1 = noise_day_span_s(day)
    t = np.arange(t0, t1, dtype=np.int64)
    return t, np.full(t.size, level_db)


def _records(t: np.ndarray, lv: np.ndarray, dur: object = 1, **kw: object) -> list[dict[str, object]]:
    """Records from raw readings, checked against the hourly-rollup path on the way."""
    s = np.zeros(t.size, dtype=np.int64)
    raw = daily_from_raw(s, t, dur, lv, event_thresholds=None, **kw)  # type: ignore[arg-type]
    d = np.broadcast_to(np.asarray(dur, dtype=np.float64), t.shape)
    from_rollups = daily_from_rollups(rollup(s, t, d, lv, bucket_s=3600), **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(raw.la_periods, from_rollups.la_periods)
    return raw.to_records()


def test_night_10_percent_loud_90_percent_quiet() -> None:
    """Day at 70, evening at 50, a 9-h night that is 10 % at 60 dB and 90 % at 40 dB: LA90_night = 40."""
    t, lv = _noise_day(JUNE, 70.0)
    n0 = _night_start(JUNE)
    lv[(t >= n0 - 3 * 3600) & (t < n0)] = 50.0
    night = t >= n0
    assert night.sum() == 9 * 3600
    lv[night] = QUIET
    lv[night & (t < n0 + 3240)] = LOUD  # the first 10 % of the night
    (rec,) = _records(t, lv)
    assert (rec["la90_day"], rec["la90_evening"], rec["la90_night"]) == (70.0, 50.0, QUIET)
    assert rec["la90"] == QUIET  # the whole day: 37.5 % of it at 40 dB


@pytest.mark.parametrize(
    ("day", "night_s"), [(JUNE, 9 * 3600), (SPRING, 8 * 3600), (AUTUMN, 10 * 3600)], ids=["9h", "8h", "10h"]
)
@pytest.mark.parametrize("extra_s", [-1, 0, 1])
def test_quiet_share_at_the_10_percent_boundary(day: date, night_s: int, extra_s: int) -> None:
    """Quiet for exactly 10 % of the night gives LA90 = the quiet level; one second less, the loud level.

    The 10 % is of the night's actual length (8, 9 or 10 h on DST nights), so a night folded into the
    wrong length or a lost repeated hour moves the boundary and fails here.
    """
    t, lv = _noise_day(day)
    night = t >= _night_start(day)
    assert night.sum() == night_s
    quiet_s = night_s // 10 + extra_s
    lv[night & (t >= t[-1] + 1 - quiet_s)] = QUIET  # the last seconds of the night, before 07:00
    (rec,) = _records(t, lv)
    assert rec["la90_night"] == (QUIET if extra_s >= 0 else LOUD)
    assert rec["la90_day"] == rec["la90_evening"] == LOUD


def test_autumn_repeated_hour_belongs_to_the_night() -> None:
    """The second 02:00-03:00 of 2026-10-25 (01:00-02:00 UTC) is night time of the noise day of the 24th."""
    t, lv = _noise_day(AUTUMN)
    second_two_oclock = int(datetime(2026, 10, 25, 1, tzinfo=UTC).timestamp())  # 02:00 CET, after CEST's
    lv[(t >= second_two_oclock) & (t < second_two_oclock + 3600)] = QUIET  # 3600 of 36 000 s: 10 %
    (rec,) = _records(t, lv)
    assert rec["date"] == "2026-10-24" and rec["la90_night"] == QUIET and rec["lnight"] is not None


def test_time_weighted_not_counted() -> None:
    """One 3600-s reading at 40 dB among 28 800 one-second readings at 60 dB: by count 0.003 % of the
    readings, by time 11 % of the night, so LA90_night = 40."""
    n0 = _night_start(JUNE)
    t = np.r_[n0, n0 + 3600 + np.arange(8 * 3600)]
    lv = np.r_[QUIET, np.full(8 * 3600, LOUD)]
    dur = np.r_[3600.0, np.ones(8 * 3600)]
    (rec,) = _records(t, lv, dur)
    assert rec["la90_night"] == QUIET
    assert rec["la90_day"] is None and rec["la90_evening"] is None  # no data: null, not 0


@pytest.mark.parametrize(
    ("scheme", "evening", "night"), [("dk", LOUD, QUIET), ("eu", QUIET, LOUD)], ids=["dk", "eu"]
)
def test_the_scheme_decides_which_period_an_hour_belongs_to(
    scheme: str, evening: float, night: float
) -> None:
    """22:00-23:00 at 40 dB, the rest at 60: night in ``dk`` (1 h of 9 = 11 %), evening in ``eu`` (1 of 4)."""
    t, lv = _noise_day(JUNE)
    n0 = _night_start(JUNE)
    lv[(t >= n0) & (t < n0 + 3600)] = QUIET
    (rec,) = _records(t, lv, scheme=scheme)
    assert (rec["la90_evening"], rec["la90_night"], rec["la90_day"]) == (evening, night, LOUD)


def test_calendar_day_night_joins_both_ends() -> None:
    """With day_start 00:00 the date's night is 00-07 plus 22-24: 2 h quiet of those 9 h gives 40 dB."""
    t0, t1 = day_span_s(JUNE)
    t = np.arange(t0, t1, dtype=np.int64)
    lv = np.full(t.size, LOUD)
    lv[t >= t1 - 2 * 3600] = QUIET
    (rec,) = _records(t, lv, day_start_h=0)
    assert rec["la90_night"] == QUIET and rec["la90_day"] == rec["la90_evening"] == LOUD


def test_unusable_readings_are_not_time() -> None:
    """NaN/infinite levels and zero/negative intervals in the night are left out (not measured time)."""
    t, lv = _noise_day(JUNE)
    night = t >= _night_start(JUNE)
    lv[night & (t >= t[-1] + 1 - 3240)] = QUIET  # exactly 10 %
    clean = _records(t, lv)[0]["la90_night"]
    n0 = _night_start(JUNE)
    bad_t = np.array([n0, n0 + 1, n0 + 2, n0 + 3])
    t2 = np.r_[t, bad_t]
    lv2 = np.r_[lv, [np.nan, np.inf, LOUD, LOUD]]
    dur2 = np.r_[np.ones(t.size), [1.0, 1.0, 0.0, -5.0]]
    (rec,) = daily_from_raw(np.zeros(t2.size, int), t2, dur2, lv2, event_thresholds=None).to_records()
    assert clean == rec["la90_night"] == QUIET


def test_a_scheme_without_an_evening_gives_null_la90_evening() -> None:
    scheme = PeriodScheme("dn", (Period("day", 6, 22, 16, 0.0), Period("night", 22, 6, 8, 10.0)))
    t, lv = _noise_day(JUNE)
    (rec,) = _records(t, lv, scheme=scheme, day_start_h=7)
    assert rec["la90_evening"] is None and rec["la90_day"] == rec["la90_night"] == LOUD


def test_matches_weighted_inverted_cdf_per_period(rng: np.random.Generator) -> None:
    """Random levels and mixed intervals: each period's LA90 is numpy's weighted inverted-CDF 10th
    percentile of that period's 0.1 dB classes."""
    t0, t1 = noise_day_span_s(JUNE)
    t = np.sort(rng.choice(np.arange(t0, t1, 10), 5000, replace=False))
    lv = np.round(rng.normal(50, 8, t.size), 1)
    dur = rng.choice([1.0, 5.0, 10.0], t.size)
    (rec,) = _records(t, lv, dur)
    hour = ((t - t0) // 3600 + 7) % 24
    periods = {"day": (hour >= 7) & (hour < 19), "evening": (hour >= 19) & (hour < 22)}
    periods["night"] = ~(periods["day"] | periods["evening"])
    for name, m in periods.items():
        want = np.percentile(lv[m], 10, method="inverted_cdf", weights=dur[m])
        assert rec[f"la90_{name}"] == round(float(want), 1), name
