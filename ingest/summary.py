"""What the collector did, said once a minute for people: a per-batch line is DEBUG, and this INFO line is
what an operator reads on a terminal or in the logs::

    last 60 s: 3600 readings stored (60.0/s) from 12 messages, 0 duplicates, 2 refused (bad_topic 2),
    lag 0.31 s

``lag`` is the longest time a message waited between its arrival and the commit that wrote it (a growing
lag means the store or the writer cannot keep up). The same numbers are fields of the record (``stored``,
``rate_per_s``, ``lag_s`` ...) for the JSON log format.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable


class IngestSummary:
    """Counts written batches and logs a summary at INFO at most once every ``every_s`` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = logger
        self.every_s = every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._since = clock()
        self._reset()

    def _reset(self) -> None:
        self.messages = 0
        self.stored = 0
        self.duplicates = 0
        self.reasons: Counter[str] = Counter()
        self.lag_s = 0.0

    def add(
        self, *, messages: int, stored: int, duplicates: int, reasons: Iterable[str], lag_s: float
    ) -> None:
        """One committed batch: also logged on its own at DEBUG."""
        reasons = list(reasons)
        with self._lock:
            self.messages += messages
            self.stored += stored
            self.duplicates += duplicates
            self.reasons.update(reasons)
            self.lag_s = max(self.lag_s, lag_s)
        self.log.debug(
            "batch written: %d messages, %d readings stored, %d duplicates, %d refused, lag %.2f s",
            messages,
            stored,
            duplicates,
            len(reasons),
            lag_s,
        )

    def maybe_emit(self) -> bool:
        """Log the summary when ``every_s`` has passed since the last one; True when it did."""
        now = self.clock()
        if now - self._since < self.every_s:
            return False
        with self._lock:
            window = now - self._since
            self._since = now
            messages, stored, duplicates = self.messages, self.stored, self.duplicates
            reasons, lag = dict(self.reasons), self.lag_s
            self._reset()
        self.log.info(
            describe(window, messages, stored, duplicates, reasons, lag),
            extra={
                "window_s": round(window, 1),
                "messages": messages,
                "stored": stored,
                "duplicates": duplicates,
                "refused": sum(reasons.values()),
                "reasons": reasons,
                "rate_per_s": round(stored / window, 2) if window > 0 else 0.0,
                "lag_s": round(lag, 3),
            },
        )
        return True


def describe(
    window_s: float, messages: int, stored: int, duplicates: int, reasons: dict[str, int], lag_s: float
) -> str:
    """The summary sentence (see the module docstring)."""
    head = f"last {window_s:.0f} s:"
    if messages == 0:
        return f"{head} nothing received"
    refused = sum(reasons.values())
    why = ""
    if reasons:
        top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        more = ", ..." if len(reasons) > 4 else ""
        why = " (" + ", ".join(f"{reason} {n}" for reason, n in top) + more + ")"
    rate = stored / window_s if window_s > 0 else 0.0
    return (
        f"{head} {stored} readings stored ({rate:.1f}/s) from {messages} messages, {duplicates} duplicates, "
        f"{refused} refused{why}, lag {lag_s:.2f} s"
    )
