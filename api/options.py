"""Per-request metric options: period scheme, day start, coverage threshold and event parameters.

Each is a setting with a default (:class:`noiselab.domain.settings.Settings`, whose event defaults come from
:class:`noiselab.processing.events.EventParams`) AND a query parameter on every metric route, so an engineer
can compare ``?scheme=eu`` or ``?day_start=00:00`` without a restart (SPEC §5):

==================  =======================================  ==========================================
query               meaning                                  setting (default)
==================  =======================================  ==========================================
``scheme``          ``dk``, ``eu`` or ``ldn`` periods         ``NOISELAB_SCHEME`` (dk)
``day_start``       ``HH:00`` start of a daily record         ``NOISELAB_DAY_START`` (scheme's: 07:00)
``coverage``        validity threshold per period, 0..1      ``NOISELAB_COVERAGE_THRESHOLD`` (0.75)
``threshold``       event threshold, dB(A), at or above      ``NOISELAB_EVENT_THRESHOLD_DB`` (70)
``merge_gap_s``     dips shorter than this are bridged       ``NOISELAB_EVENT_MERGE_GAP_S`` (5)
``min_duration_s``  shorter runs are not events              ``NOISELAB_EVENT_MIN_DURATION_S`` (3)
==================  =======================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from noiselab.api.views.query import bad_query
from noiselab.domain.settings import Settings
from noiselab.processing.daily import resolve_day_start
from noiselab.processing.events import EventParams
from noiselab.processing.periods import SCHEMES, PeriodScheme

SchemeName = Literal["dk", "eu", "ldn"]
DAY_START_PATTERN = r"^([01][0-9]|2[0-3]):00$"


@dataclass(frozen=True)
class MetricOptions:
    """What the metric views need besides the data; built once per request from settings and query."""

    tz: str
    scheme: PeriodScheme
    day_start_h: int
    coverage_threshold: float
    events: EventParams
    facade_correction_db: float

    @property
    def day_start(self) -> str:
        return f"{self.day_start_h:02d}:00"


def _hour(text: str | None) -> int | None:
    return None if text is None else int(text[:2])


def options_from_settings(settings: Settings) -> MetricOptions:
    """The defaults: what a request without metric query parameters gets."""
    if settings.scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {settings.scheme!r}")
    scheme = SCHEMES[settings.scheme]
    return MetricOptions(
        tz=settings.tz,
        scheme=scheme,
        day_start_h=resolve_day_start(scheme, _hour(settings.day_start)),
        coverage_threshold=settings.coverage_threshold,
        events=settings.event_params,
        facade_correction_db=settings.facade_correction_db,
    )


def _options(
    request: Request,
    scheme: Annotated[
        SchemeName | None, Query(description="Period scheme (default: the server's, dk)")
    ] = None,
    day_start: Annotated[
        str | None,
        Query(
            pattern=DAY_START_PATTERN,
            description="Local time a daily record starts, HH:00 (default: the scheme's day start, 07:00; "
            "00:00 = calendar days)",
            examples=["07:00", "00:00"],
        ),
    ] = None,
    coverage: Annotated[
        float | None, Query(ge=0, le=1, description="Coverage threshold per period for `valid` (0.75)")
    ] = None,
    threshold: Annotated[
        float | None, Query(ge=30, le=140, description="Event threshold in dB(A), at or above (70)")
    ] = None,
    merge_gap_s: Annotated[
        float | None, Query(ge=0, le=3600, description="Dips shorter than this are bridged (5 s)")
    ] = None,
    min_duration_s: Annotated[
        float | None, Query(ge=0, le=3600, description="Shorter runs are not events (3 s)")
    ] = None,
) -> MetricOptions:
    settings: Settings = request.app.state.settings
    base = options_from_settings(settings)
    sch = SCHEMES[scheme] if scheme is not None else base.scheme
    day_start_h = _hour(day_start)
    if day_start_h is None:
        # the server's day start if one is set, else the (requested) scheme's
        day_start_h = resolve_day_start(sch, _hour(settings.day_start))
    ev = base.events.with_overrides(
        threshold_db=threshold, merge_gap_s=merge_gap_s, min_duration_s=min_duration_s
    )
    if ev.threshold_db not in ev.thresholds_db:
        ev = replace(ev, thresholds_db=tuple(sorted({*ev.thresholds_db, ev.threshold_db})))
    if not 0 <= day_start_h < 24:
        raise bad_query("day_start", "must be HH:00")
    return replace(
        base,
        scheme=sch,
        day_start_h=day_start_h,
        coverage_threshold=base.coverage_threshold if coverage is None else coverage,
        events=ev,
    )


MetricOptionsDep = Annotated[MetricOptions, Depends(_options)]
"""Scheme, day start, coverage threshold and event parameters of this request (settings + query)."""
