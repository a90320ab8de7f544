from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from noiselab.processing.periods import SCHEMES, Period, PeriodScheme, assign, date_seconds, period_seconds

CPH = "Europe/Copenhagen"


def test_scheme_tables() -> None:
    dk, eu, ldn = SCHEMES["dk"], SCHEMES["eu"], SCHEMES["ldn"]
    assert list(dk.weights_h) == [12, 3, 9] and list(dk.penalties_db) == [0, 5, 10]
    assert list(eu.weights_h) == [12, 4, 8]
    assert list(ldn.weights_h) == [15, 9]
    assert dk.hour_table().tolist() == [2] * 7 + [0] * 12 + [1] * 3 + [2] * 2
    assert eu.hour_table().tolist() == [2] * 7 + [0] * 12 + [1] * 4 + [2] * 1


def test_custom_scheme_must_cover_each_hour_once() -> None:
    PeriodScheme("x", (Period("day", 6, 18, 12, 0), Period("night", 18, 6, 12, 10)))
    with pytest.raises(ValueError, match="exactly once"):
        PeriodScheme("bad", (Period("day", 7, 19, 12, 0), Period("night", 22, 7, 9, 10)))


def test_dst_day_lengths_copenhagen_2026() -> None:
    days = [date(2026, 3, 29).toordinal(), date(2026, 10, 25).toordinal(), date(2026, 6, 10).toordinal()]
    assert date_seconds(days, CPH).tolist() == [23 * 3600, 25 * 3600, 24 * 3600]
    # the changed hour is at night (02-03): day and evening keep their length
    assert period_seconds(days, SCHEMES["dk"], CPH).tolist() == [
        [12 * 3600, 3 * 3600, 8 * 3600],
        [12 * 3600, 3 * 3600, 10 * 3600],
        [12 * 3600, 3 * 3600, 9 * 3600],
    ]


def test_half_hour_zone_and_southern_dst() -> None:
    # Kathmandu +05:45 has no DST; Santiago changes at midnight (24:00 on Apr 4, 00:00 skipped on Sep 6)
    d = [date(2026, 1, 1).toordinal()]
    assert date_seconds(d, "Asia/Kathmandu").tolist() == [86400]
    t = datetime(2026, 1, 1, 1, 14, 59, tzinfo=UTC).timestamp()
    a = assign([t, t + 1], SCHEMES["dk"], "Asia/Kathmandu")
    assert a.hour.tolist() == [6, 7] and a.period.tolist() == [2, 0]
    lengths = date_seconds([date(2026, 4, 4).toordinal(), date(2026, 9, 6).toordinal()], "America/Santiago")
    assert sorted(lengths.tolist()) == [23 * 3600, 25 * 3600]


def test_assign_boundaries_are_half_open_and_by_start() -> None:
    # 2026-06-10 is CEST (+02:00): local 19:00 = 17:00Z
    t19 = datetime(2026, 6, 10, 17, 0, tzinfo=UTC).timestamp()
    a = assign([t19 - 1, t19, t19 + 3 * 3600 - 1, t19 + 3 * 3600], SCHEMES["dk"], CPH)
    assert a.period.tolist() == [0, 1, 1, 2]
    assert a.hour.tolist() == [18, 19, 21, 22]
    assert set(a.date_ordinal.tolist()) == {date(2026, 6, 10).toordinal()}


def test_fall_back_hour_counts_twice_as_02() -> None:
    t = np.arange(
        datetime(2026, 10, 25, 0, tzinfo=UTC).timestamp(),
        datetime(2026, 10, 25, 2, tzinfo=UTC).timestamp(),
        600,
    )
    a = assign(t, SCHEMES["dk"], CPH)
    assert set(a.hour.tolist()) == {2}
    assert set(a.date_ordinal.tolist()) == {date(2026, 10, 25).toordinal()}


def test_noise_day_lengths_and_nights_across_both_dst_changes() -> None:
    dk = SCHEMES["dk"]
    days = [date(2026, 3, 28).toordinal(), date(2026, 10, 24).toordinal(), date(2026, 6, 10).toordinal()]
    assert date_seconds(days, CPH, day_start_h=7).tolist() == [23 * 3600, 25 * 3600, 24 * 3600]
    nights = period_seconds(days, dk, CPH, day_start_h=7)[:, dk.index("night")]
    assert (nights // 3600).tolist() == [8, 10, 9]
    # 06:59:59 local on 29 March (summer time, UTC+2) still belongs to the noise day of 28 March
    t = datetime(2026, 3, 29, 4, 59, 59, tzinfo=UTC).timestamp()
    a = assign([t, t + 1], dk, CPH, day_start_h=7)
    assert a.date_ordinal.tolist() == [date(2026, 3, 28).toordinal(), date(2026, 3, 29).toordinal()]
    assert a.hour.tolist() == [6, 7] and [dk.names[p] for p in a.period] == ["night", "day"]
