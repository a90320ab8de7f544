"""The reading: one sensor's levels over one averaging interval, and its validation.

Every decoder produces ``Reading`` objects through :func:`make_reading`, so the plausibility rules of
SPEC §3 live in exactly one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from noiselab.domain.errors import InvalidReading

MIN_DB = 15.0
MAX_DB = 145.0
MAX_FUTURE_S = 600.0
OLDEST_START_S = 946684800.0  # 2000-01-01T00:00:00Z: anything older is a clock that was never set
# SPEC §4: 1–64 letters, digits, '.', '_', '-', starting with a letter or digit, no '..', the whole string
# (\A...\Z, so `.match` is a full match too: '$' would accept a trailing newline)
SENSOR_ID_RE = re.compile(r"\A(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
LEVEL_FIELDS = ("laeq", "lafmax", "lafmin", "lcpeak")


@dataclass(frozen=True, slots=True)
class Reading:
    """Levels of one sensor over ``[start_ms, start_ms + interval_s*1000)``, UTC epoch milliseconds."""

    sensor_id: str
    start_ms: int
    interval_s: float
    laeq: float
    lafmax: float | None = None
    lafmin: float | None = None
    lcpeak: float | None = None
    source: str = "native"
    # a source-level id for deduplication (ChirpStack deduplicationId, TTS correlation id); optional
    dedupe_id: str | None = field(default=None, compare=False)


def parse_time_s(value: object, *, what: str = "ts") -> float:
    """Seconds since the epoch from an ISO 8601 string with a zone, or a number of seconds.

    A time without a zone is refused: it could be local or UTC and we would guess wrong half the year.
    """
    if isinstance(value, bool):
        raise InvalidReading(
            "bad_time", f"{what} must be an ISO 8601 time with a zone or epoch seconds, got a boolean"
        )
    if isinstance(value, (int, float)):
        t = float(value)
        # negative (pre-1970) times are read here and refused as too_old by make_reading
        if not math.isfinite(t) or t < -62135596800 or t > 4102444800:  # 0001-01-01 .. 2100-01-01
            raise InvalidReading("bad_time", f"{what} epoch seconds out of range: {value!r}")
        return t
    if not isinstance(value, str):
        raise InvalidReading("bad_time", f"{what} must be a string or a number, got {type(value).__name__}")
    text = value.strip()
    if len(text) > 64:
        raise InvalidReading("bad_time", f"{what} is too long to be a time")
    # Python < 3.11 quirks aside, fromisoformat handles 'Z'; trim sub-microsecond digits (RFC 3339 ns)
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if m and m.group(2) and len(m.group(2)) > 7:
        text = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidReading("bad_time", f"{what} is not an ISO 8601 time: {value!r}") from exc
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidReading(
            "time_without_zone", f"{what} {value!r} has no time zone; add 'Z' or an offset such as '+02:00'"
        )
    return dt.timestamp()


def check_level(name: str, value: object, *, required: bool) -> float | None:
    """A plausible level in dB (15–145), or None when optional and absent."""
    if value is None:
        if required:
            raise InvalidReading("missing_field", f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidReading("bad_type", f"{name} must be a number in dB, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidReading("not_finite", f"{name} must be a finite number, got {value!r}")
    if not (MIN_DB <= v <= MAX_DB):
        raise InvalidReading(
            "out_of_range", f"{name} = {v} dB is outside the plausible range {MIN_DB:g}–{MAX_DB:g} dB"
        )
    return v


def valid_sensor_id(sensor_id: object) -> bool:
    """SPEC §4's sensor-id rule, on the whole string."""
    return isinstance(sensor_id, str) and SENSOR_ID_RE.fullmatch(sensor_id) is not None


def check_sensor_id(sensor_id: object) -> str:
    if not valid_sensor_id(sensor_id):
        raise InvalidReading(
            "bad_sensor_id",
            "sensor id must be 1–64 letters, digits, '.', '_' or '-', start with a letter or digit and "
            f"hold no '..', got {str(sensor_id)[:80]!r}",
        )
    assert isinstance(sensor_id, str)
    return sensor_id


def check_not_too_old(start_s: float) -> None:
    """Refuse readings stamped before 2000-01-01 (an unset device clock: 1970, 1900)."""
    if start_s < OLDEST_START_S:
        raise InvalidReading(
            "too_old",
            f"reading starts before 2000-01-01T00:00:00Z (epoch {start_s:.0f} s); is the clock set?",
        )


MIN_INTERVAL_S = 0.1
MAX_INTERVAL_S = 86_400.0


def check_interval(interval_s: object) -> float:
    """An averaging interval in seconds: a number from 0.1 s (10 readings a second) to one day."""
    if isinstance(interval_s, bool) or not isinstance(interval_s, (int, float)):
        raise InvalidReading(
            "bad_type", f"interval_s must be a number of seconds, got {type(interval_s).__name__}"
        )
    iv = float(interval_s)
    if not math.isfinite(iv) or iv < MIN_INTERVAL_S or iv > MAX_INTERVAL_S:
        raise InvalidReading(
            "bad_interval", f"interval_s must be between 0.1 and 86400 s, got {str(interval_s)[:40]}"
        )
    return iv


def make_reading(
    *,
    sensor_id: object,
    start_s: float,
    interval_s: object,
    laeq: object,
    lafmax: object = None,
    lafmin: object = None,
    lcpeak: object = None,
    now_s: float,
    source: str = "native",
    dedupe_id: str | None = None,
) -> Reading:
    """Validate one reading and build it. ``now_s`` is a parameter so tests control the clock."""
    sid = check_sensor_id(sensor_id)
    iv = check_interval(interval_s)
    check_not_too_old(start_s)
    if start_s > now_s + MAX_FUTURE_S:
        raise InvalidReading(
            "in_future",
            f"reading starts {start_s - now_s:.0f} s in the future (more than {MAX_FUTURE_S:.0f} s allowed)",
        )
    la = check_level("laeq", laeq, required=True)
    assert la is not None
    return Reading(
        sensor_id=sid,
        start_ms=round(start_s * 1000),
        interval_s=iv,
        laeq=la,
        lafmax=check_level("lafmax", lafmax, required=False),
        lafmin=check_level("lafmin", lafmin, required=False),
        lcpeak=check_level("lcpeak", lcpeak, required=False),
        source=source,
        dedupe_id=dedupe_id,
    )


def _level(name: str, value: object, *, required: bool) -> float | None:
    """check_level with a fast path for the common case (a plain float in range; NaN fails the test)."""
    if type(value) is float and MIN_DB <= value <= MAX_DB:
        return value
    return check_level(name, value, required=required)


def make_readings(
    *,
    sensor_id: object,
    start_s: float,
    interval_s: object,
    laeq: Sequence[object],
    lafmax: Sequence[object] | None = None,
    lafmin: Sequence[object] | None = None,
    lcpeak: Sequence[object] | None = None,
    now_s: float,
    source: str = "native",
) -> tuple[list[Reading], list[InvalidReading]]:
    """A batch: reading ``i`` of one sensor starts at ``start_s + i * interval_s``.

    The same checks as :func:`make_reading` (the sensor id and interval once for the batch, raising;
    levels and the future limit per item), about twice as fast for long batches. A refused item gives
    an ``InvalidReading`` with ``index=i``; the optional columns must be as long as ``laeq``.
    """
    sid = check_sensor_id(sensor_id)
    iv = check_interval(interval_s)
    latest_s = now_s + MAX_FUTURE_S
    readings: list[Reading] = []
    refused: list[InvalidReading] = []
    for i, level in enumerate(laeq):
        item_start_s = start_s + i * iv
        try:
            if item_start_s < OLDEST_START_S:
                check_not_too_old(item_start_s)
            if item_start_s > latest_s:
                raise InvalidReading(
                    "in_future",
                    f"reading starts {item_start_s - now_s:.0f} s in the future "
                    f"(more than {MAX_FUTURE_S:.0f} s allowed)",
                )
            la = _level("laeq", level, required=True)
            assert la is not None
            readings.append(
                Reading(
                    sid,
                    round(item_start_s * 1000),
                    iv,
                    la,
                    None if lafmax is None else _level("lafmax", lafmax[i], required=False),
                    None if lafmin is None else _level("lafmin", lafmin[i], required=False),
                    None if lcpeak is None else _level("lcpeak", lcpeak[i], required=False),
                    source,
                )
            )
        except InvalidReading as err:
            err.index = i
            refused.append(err)
    return readings, refused
