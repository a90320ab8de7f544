"""The alert state machine: one rule and one sensor, one new value at a time (SPEC §11).

    step(limits, state, value, now_s, quiet) -> (new state, notifications)

Phases::

    idle ──value ≥ above──▶ pending ──held for_s──▶ firing ──value < clear_below──▶ idle (cooldown)
      ▲                        │ value < above                                         │
      └────────────────────────┘                                                       │
      └──────────── no new alert before cooldown_until ◀───────────────────────────────┘

- Hysteresis: an alert fires when the value reaches ``above`` (and, with ``for_s > 0``, stays there that
  long) and clears only when it falls below ``clear_below`` (≤ ``above``), so a level that hovers around
  the threshold gives one alert, not one per dip.
- Exactly one ``firing`` and one ``resolved`` notification per alert; the shell sends each to every channel.
- ``cooldown_s`` after an alert resolves, the same rule and sensor cannot fire again.
- Quiet hours hold notifications, never drop them: a notification produced inside them carries
  ``release_s`` = the end of that quiet period; the outbox delivers it then.
- ``value`` None (no data in the window) changes nothing.

Alert ids are deterministic (rule, sensor, start), so an evaluator that restarts and recomputes the same
alert produces the same id, and the same ``Idempotency-Key``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["AlertLimits", "AlertState", "Notification", "QuietHours", "quiet_release_s", "step"]


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local clock minutes ``[start_min, end_min)``; may wrap past midnight (22:00–07:00)."""

    start_min: int
    end_min: int
    tz: str

    @staticmethod
    def parse(start: str, end: str, tz: str) -> QuietHours:
        """From ``"HH:MM"`` strings; raises ValueError for anything else or an empty period."""

        def minutes(text: str) -> int:
            parts = text.split(":")
            if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
                raise ValueError(f"{text!r} is not a time HH:MM")
            h, m = int(parts[0]), int(parts[1])
            if h > 23 or m > 59:
                raise ValueError(f"{text!r} is not a time of day")
            return h * 60 + m

        s, e = minutes(start), minutes(end)
        if s == e:
            raise ValueError("quiet hours start and end at the same time")
        return QuietHours(s, e, tz)


def quiet_release_s(quiet: QuietHours | None, now_s: float) -> float | None:
    """End of the quiet period containing ``now_s`` (epoch seconds), or None outside quiet hours."""
    if quiet is None:
        return None
    zone = ZoneInfo(quiet.tz)
    local = datetime.fromtimestamp(now_s, UTC).astimezone(zone)
    minute = local.hour * 60 + local.minute
    s, e = quiet.start_min, quiet.end_min
    inside = (s <= minute < e) if s < e else (minute >= s or minute < e)
    if not inside:
        return None
    end_day = local.date() if minute < e else local.date() + timedelta(days=1)
    end_local = datetime(end_day.year, end_day.month, end_day.day, e // 60, e % 60, tzinfo=zone)
    return end_local.astimezone(UTC).timestamp()


@dataclass(frozen=True, slots=True)
class AlertLimits:
    rule_id: str
    sensor_id: str
    above: float
    clear_below: float
    for_s: float
    cooldown_s: float


@dataclass(frozen=True, slots=True)
class AlertState:
    phase: str = "idle"  # idle, pending, firing
    alert_id: str | None = None
    pending_since_s: float | None = None
    started_s: float | None = None
    peak: float | None = None  # highest value while pending/firing
    cooldown_until_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Notification:
    alert_id: str
    rule_id: str
    sensor_id: str
    state: str  # firing, resolved
    value_db: float
    threshold_db: float
    started_s: float
    ended_s: float | None
    release_s: float  # not before this time (quiet hours)


def alert_id_for(limits: AlertLimits, started_s: float) -> str:
    return f"{limits.rule_id}.{limits.sensor_id}.{round(started_s * 1000)}"


def step(
    limits: AlertLimits,
    state: AlertState,
    value: float | None,
    now_s: float,
    *,
    quiet: QuietHours | None = None,
) -> tuple[AlertState, list[Notification]]:
    """Advance one rule/sensor by one evaluation. Pure: the same inputs give the same outputs."""
    if limits.clear_below > limits.above:
        raise ValueError("clear_below must not be above 'above'")
    if value is None or not math.isfinite(value):
        return state, []
    release = quiet_release_s(quiet, now_s) or now_s
    if state.phase == "firing":
        assert state.alert_id is not None and state.started_s is not None
        peak = max(value, state.peak if state.peak is not None else value)
        if value < limits.clear_below:
            note = Notification(
                state.alert_id,
                limits.rule_id,
                limits.sensor_id,
                "resolved",
                round(value, 1),
                limits.clear_below,
                state.started_s,
                now_s,
                release,
            )
            return AlertState(cooldown_until_s=now_s + limits.cooldown_s), [note]
        return replace(state, peak=peak), []
    if value < limits.above:
        return AlertState(cooldown_until_s=state.cooldown_until_s), []
    if now_s < state.cooldown_until_s:
        return state, []
    since = state.pending_since_s if state.phase == "pending" and state.pending_since_s is not None else now_s
    peak = max(value, state.peak if state.peak is not None and state.phase == "pending" else value)
    if now_s - since < limits.for_s:
        return AlertState("pending", None, since, None, peak, state.cooldown_until_s), []
    alert_id = alert_id_for(limits, since)
    note = Notification(
        alert_id,
        limits.rule_id,
        limits.sensor_id,
        "firing",
        round(value, 1),
        limits.above,
        since,
        None,
        release,
    )
    return AlertState("firing", alert_id, since, since, peak, state.cooldown_until_s), [note]
