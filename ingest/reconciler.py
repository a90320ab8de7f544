"""The collector's share of keeping rollups exact when several collectors write the same sensors.

A store that cannot make a write and its rollup update one transaction (InfluxDB) offers
``reconcile(start_ms, end_ms) -> int``: recompute from raw readings every hour in the range whose rollup is
not at its current generation (:mod:`noiselab.store.generations`). SQLite does not need it and has none.

:class:`Reconciler` remembers the span of hours this process wrote (``Pipeline.commit`` notes every
write, MQTT or HTTP) and, every ``every_s`` and once more when the process stops, reconciles that span for
*all* sensors, so hours written by a collector that was killed meanwhile are covered by the survivors as
long as they write the same period (live data). The collector runs it from its writer thread, an API
process from :meth:`Reconciler.run` in a thread of its own (``noiselab serve``). A failed pass (store
away) keeps the span for the next one. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from noiselab.domain.errors import StoreUnavailable
from noiselab.domain.readings import Reading
from noiselab.store.base import HOUR_S

log = logging.getLogger(__name__)

_HOUR_MS = HOUR_S * 1000


class Reconciler:
    def __init__(
        self, store: object, *, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # wrappers (CalibratedStore, test switches) forward attributes, so ask for the method itself
        method = getattr(store, "reconcile", None)
        self._reconcile: Callable[[int, int], int] | None = method if callable(method) else None
        self.every_s = every_s
        self._clock = clock
        self._last = clock()
        self._span: tuple[int, int] | None = None  # [first, after-last) hour start in ms
        self._lock = threading.Lock()  # note() from request threads, passes from one thread
        self.recomputed = 0

    @property
    def active(self) -> bool:
        return self._reconcile is not None

    def note(self, readings: Iterable[Reading]) -> None:
        """Remember the hours of readings just written (new or duplicate: both may leave an hour dirty)."""
        if self._reconcile is None:
            return
        starts = [r.start_ms for r in readings]
        if not starts:
            return
        lo, hi = min(starts) // _HOUR_MS * _HOUR_MS, (max(starts) // _HOUR_MS + 1) * _HOUR_MS
        with self._lock:
            if self._span is not None:
                lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
            self._span = (lo, hi)

    def note_span(self, span: tuple[int, int]) -> None:
        with self._lock:
            if self._span is not None:
                span = (min(span[0], self._span[0]), max(span[1], self._span[1]))
            self._span = span

    def run(self, stop: threading.Event) -> None:
        """Pass every ``every_s`` until ``stop`` is set, then a last one (an API process's thread)."""
        if self._reconcile is None:
            return
        while not stop.wait(self.every_s):
            self.maybe_run()
        self.maybe_run(force=True)

    def maybe_run(self, *, force: bool = False) -> int:
        """Reconcile the remembered span if ``every_s`` passed (or ``force``); returns hours recomputed."""
        if self._reconcile is None or self._span is None:
            return 0
        if not force and self._clock() - self._last < self.every_s:
            return 0
        self._last = self._clock()
        with self._lock:
            span, self._span = self._span, None
        try:
            n = self._reconcile(*span)
        except StoreUnavailable as exc:
            log.warning("rollup reconciliation postponed (%s)", exc)
            self.note_span(span)
            return 0
        self.recomputed += n
        if n:
            log.debug("rollups recomputed from raw readings: %d hours", n)
        return n
