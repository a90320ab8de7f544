"""The pure alert state machine (processing.alerting): hysteresis, for_s, cooldown, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from noiselab.processing.alerting import (
    AlertLimits,
    AlertState,
    Notification,
    QuietHours,
    quiet_release_s,
    step,
)

LIMITS = AlertLimits(rule_id="loud", sensor_id="vb-01", above=70, clear_below=67, for_s=0, cooldown_s=900)
CPH = ZoneInfo("Europe/Copenhagen")


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=CPH).timestamp()


def run(
    values: list[float | None],
    *,
    limits: AlertLimits = LIMITS,
    t0: float = 1_780_000_000.0,
    dt: float = 15,
    quiet: QuietHours | None = None,
) -> tuple[AlertState, list[Notification]]:
    state, notes = AlertState(), []
    for i, v in enumerate(values):
        state, out = step(limits, state, v, t0 + i * dt, quiet=quiet)
        notes += out
    return state, notes


def test_a_loud_period_that_dips_several_times_gives_one_firing_and_one_resolved() -> None:
    rng = np.random.default_rng(1)
    loud = list(np.clip(72 + 2 * rng.standard_normal(200), 68.0, None))
    for i in (20, 60, 61, 120, 150):  # dips below the threshold, above the clear level
        loud[i] = 68.5
    values = [60.0] * 10 + loud + [60.0] * 10
    state, notes = run(values)
    assert [n.state for n in notes] == ["firing", "resolved"]
    assert notes[0].alert_id == notes[1].alert_id
    assert notes[1].ended_s is not None and notes[1].started_s == notes[0].started_s
    assert state.phase == "idle"


def test_hovering_around_the_threshold_without_hysteresis_would_flap() -> None:
    values = [71.0, 69.0] * 20
    _, with_hysteresis = run(values)
    no_hysteresis = AlertLimits("x", "vb-01", above=70, clear_below=70, for_s=0, cooldown_s=0)
    _, flapping = run(values, limits=no_hysteresis)
    assert len(with_hysteresis) == 1
    assert len(flapping) == 40


def test_for_s_needs_the_value_to_stay_above() -> None:
    limits = AlertLimits("x", "s", above=70, clear_below=67, for_s=60, cooldown_s=0)
    _, notes = run([71, 71, 71, 69, 71, 71, 71, 71], limits=limits, dt=15)  # 45 s, then a dip
    assert notes == []
    _, notes = run([71, 71, 71, 71, 71], limits=limits, dt=15, t0=1000)
    assert [n.state for n in notes] == ["firing"]
    assert notes[0].started_s == 1000  # the alert started when the value first reached the threshold


def test_cooldown_holds_back_a_new_alert() -> None:
    values = [75.0, 60.0] + [75.0] * 20
    _, notes = run(values, dt=60)  # resolved at t=60; cooldown 900 s -> fires again at t=960
    assert [n.state for n in notes] == ["firing", "resolved", "firing"]
    assert notes[2].started_s - notes[1].ended_s >= 900  # type: ignore[operator]
    assert notes[0].alert_id != notes[2].alert_id


def test_no_data_changes_nothing() -> None:
    state, notes = run([75.0, None, None, float("nan")])
    assert state.phase == "firing" and len(notes) == 1


def test_the_same_inputs_give_the_same_alert_id() -> None:
    assert run([60.0, 75.0])[1][0].alert_id == run([60.0, 75.0])[1][0].alert_id


def test_clear_below_above_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="clear_below"):
        step(AlertLimits("x", "s", 70, 71, 0, 0), AlertState(), 75.0, 0.0)


def test_quiet_hours_hold_until_they_end_and_drop_nothing() -> None:
    quiet = QuietHours.parse("22:00", "07:00", "Europe/Copenhagen")
    start = local(2026, 6, 10, 21, 50)
    # 15-min steps from 21:50: loud 22:05-22:35, quiet at 22:50, loud again from 08:05 the next morning
    values = [60.0, 75.0, 75.0, 75.0] + [60.0] * 37 + [75.0, 75.0]
    _, notes = run(values, t0=start, dt=900, quiet=quiet)
    assert [n.state for n in notes] == ["firing", "resolved", "firing"]
    morning = local(2026, 6, 11, 7)
    assert notes[0].started_s == local(2026, 6, 10, 22, 5) and notes[0].release_s == morning
    assert notes[1].ended_s == local(2026, 6, 10, 22, 50) and notes[1].release_s == morning
    assert notes[2].started_s == local(2026, 6, 11, 8, 5) == notes[2].release_s  # outside: at once


def test_quiet_release_times_across_midnight_and_daylight_saving() -> None:
    quiet = QuietHours.parse("22:00", "07:00", "Europe/Copenhagen")
    assert quiet_release_s(quiet, local(2026, 6, 10, 21, 59)) is None
    assert quiet_release_s(quiet, local(2026, 6, 10, 23, 30)) == local(2026, 6, 11, 7)
    assert quiet_release_s(quiet, local(2026, 6, 11, 3)) == local(2026, 6, 11, 7)
    assert quiet_release_s(quiet, local(2026, 6, 11, 7)) is None
    # the night the clocks go back (25 October 2026): 07:00 local is 06:00 UTC
    assert (
        quiet_release_s(quiet, local(2026, 10, 24, 23)) == datetime(2026, 10, 25, 6, tzinfo=UTC).timestamp()
    )
    day = QuietHours.parse("12:00", "13:00", "UTC")
    assert (
        quiet_release_s(day, datetime(2026, 1, 1, 12, 30, tzinfo=UTC).timestamp())
        == datetime(2026, 1, 1, 13, tzinfo=UTC).timestamp()
    )


@pytest.mark.parametrize("text", ["7:00", "24:00", "12:60", "noon", "12:00:00", ""])
def test_bad_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text, "07:00", "UTC")
    with pytest.raises(ValueError, match="same time"):
        QuietHours.parse("07:00", "07:00", "UTC")
