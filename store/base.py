"""The storage interface every part of noiselab talks to.

Readings are written idempotently: the same (sensor_id, start_ms) is stored once, whatever the source;
the first version wins. ``write`` returns only once the readings are durable (committed), which is what
lets the collector acknowledge MQTT messages after it.

Every store also keeps energetic rollups per sensor and UTC hour (:class:`processing.rollups.Rollups`),
maintained from the readings that were actually new, so re-sends never count twice. Daily and annual
metrics are computed from them by ``processing`` (see docs/storage.md for how the API calls them).

Retention: ``apply_retention(now_s)`` deletes raw readings older than the store's ``raw_retention_days``
(rollups are kept) and remembers the cut-off; readings that start before the last cut-off are refused
afterwards (counted as ``expired``), because the store can no longer tell whether they are new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.processing.events import EventParams, Events
from noiselab.processing.rollups import Rollups

HOUR_S = 3600  # rollup bucket: UTC hours (exact for whole-hour UTC offsets such as Europe/Copenhagen)


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int  # new readings written
    duplicates: int  # readings already present (re-sends, QoS 1 duplicates)
    expired: int = 0  # readings older than the retention cut-off already applied (refused, not retryable)


@dataclass(frozen=True, slots=True)
class ReadingColumns:
    """Raw readings of one sensor as columns, ordered by start. Missing optional levels are NaN."""

    start_ms: np.ndarray  # int64
    interval_s: np.ndarray  # float64
    laeq: np.ndarray
    lafmax: np.ndarray
    lafmin: np.ndarray
    lcpeak: np.ndarray

    def __len__(self) -> int:
        return int(self.start_ms.shape[0])

    @staticmethod
    def empty() -> ReadingColumns:
        f = np.empty(0, dtype=np.float64)
        return ReadingColumns(np.empty(0, dtype=np.int64), f, f, f, f, f)

    @staticmethod
    def from_rows(rows: np.ndarray) -> ReadingColumns:
        """From an (n, 6) float array: start_ms, interval_s, laeq, lafmax, lafmin, lcpeak (NaN = missing)."""
        if not len(rows):
            return ReadingColumns.empty()
        return ReadingColumns(
            start_ms=rows[:, 0].astype(np.int64),
            interval_s=np.ascontiguousarray(rows[:, 1]),
            laeq=np.ascontiguousarray(rows[:, 2]),
            lafmax=np.ascontiguousarray(rows[:, 3]),
            lafmin=np.ascontiguousarray(rows[:, 4]),
            lcpeak=np.ascontiguousarray(rows[:, 5]),
        )

    @staticmethod
    def from_readings(readings: Sequence[Reading]) -> ReadingColumns:
        def col(name: str) -> np.ndarray:
            return np.array(
                [np.nan if getattr(r, name) is None else getattr(r, name) for r in readings], dtype=np.float64
            )

        return ReadingColumns(
            start_ms=np.array([r.start_ms for r in readings], dtype=np.int64),
            interval_s=np.array([r.interval_s for r in readings], dtype=np.float64),
            laeq=col("laeq"),
            lafmax=col("lafmax"),
            lafmin=col("lafmin"),
            lcpeak=col("lcpeak"),
        )


@dataclass(frozen=True, slots=True)
class ReadingBatch:
    """Readings of several sensors as columns (bulk writes): ``sensor`` indexes ``sensor_ids``; NaN = not
    reported. All rows share ``source``. Equal (sensor, start) keep the first row, as ``write`` does."""

    sensor_ids: list[str]
    sensor: np.ndarray  # int64
    start_ms: np.ndarray  # int64
    interval_s: np.ndarray  # float64
    laeq: np.ndarray
    lafmax: np.ndarray
    lafmin: np.ndarray
    lcpeak: np.ndarray
    source: str = "import"

    def __len__(self) -> int:
        return int(self.start_ms.shape[0])

    @staticmethod
    def from_readings(readings: Sequence[Reading]) -> ReadingBatch:
        ids: dict[str, int] = {}
        n = len(readings)
        sensor = np.fromiter(
            (ids.setdefault(r.sensor_id, len(ids)) for r in readings), dtype=np.int64, count=n
        )
        cols = ReadingColumns.from_readings(readings)
        return ReadingBatch(
            sensor_ids=list(ids),
            sensor=sensor,
            start_ms=cols.start_ms,
            interval_s=cols.interval_s,
            laeq=cols.laeq,
            lafmax=cols.lafmax,
            lafmin=cols.lafmin,
            lcpeak=cols.lcpeak,
            source=readings[0].source if readings else "import",
        )

    def to_readings(self) -> list[Reading]:
        """The same rows as Reading objects (for a store without a bulk path)."""

        def opt(values: np.ndarray) -> list[float | None]:
            return [None if v != v else v for v in values.tolist()]

        sid = [self.sensor_ids[i] for i in self.sensor.tolist()]
        return [
            Reading(s, t, d, lv, fm, fn, cp, self.source)
            for s, t, d, lv, fm, fn, cp in zip(
                sid, self.start_ms.tolist(), self.interval_s.tolist(), self.laeq.tolist(),
                opt(self.lafmax), opt(self.lafmin), opt(self.lcpeak), strict=True,
            )
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class LevelBuckets:
    """Energy sums of one sensor per UTC bucket of ``bucket_size_s`` (60 or 900), ordered by start."""

    bucket_s: np.ndarray  # int64, UTC epoch seconds of each bucket's start
    energy: np.ndarray  # Σ interval_s·10^(LAeq/10)
    seconds: np.ndarray  # Σ interval_s
    lafmax: np.ndarray  # NaN when never reported
    lcpeak: np.ndarray
    bucket_size_s: int = 60

    def __len__(self) -> int:
        return int(self.bucket_s.shape[0])


def write_batch(
    store: ReadingStore, batch: ReadingBatch, *, block_digest: bytes | None = None
) -> WriteResult:
    """Write columns through the store's bulk path when it has one (``write_batch``), else as readings.

    ``block_digest``: a digest of the source text of a block whose every row is in ``batch`` (nothing
    refused); a store with an import ledger records it in the same transaction (see ``known_block``).
    """
    bulk = getattr(store, "write_batch", None)
    if bulk is not None:
        return bulk(batch, block_digest=block_digest)  # type: ignore[no-any-return]
    return store.write(batch.to_readings())


def known_block(store: ReadingStore, digest: bytes) -> int | None:
    """Rows of an imported block with this digest whose readings are all still stored, else None (also for a
    store without an import ledger)."""
    ledger = getattr(store, "known_block", None)
    return None if ledger is None else ledger(digest)


class ReadingStore(Protocol):
    """What ingest, processing shells and the API need from a time-series store."""

    def write(self, readings: Sequence[Reading]) -> WriteResult:
        """Store readings durably and idempotently. Raises StoreUnavailable when the store is away."""
        ...

    def latest(self, sensor_id: str) -> Reading | None:
        """The reading with the latest start for this sensor, or None."""
        ...

    def read(
        self,
        sensor_id: str,
        start_ms: int,
        end_ms: int,
        *,
        limit: int | None = None,
        min_laeq_db: float | None = None,
    ) -> ReadingColumns:
        """Raw readings with start in [start_ms, end_ms), ordered by start, at most ``limit`` rows; with
        ``min_laeq_db`` only those with LAeq strictly above it (the loud ones, for events)."""
        ...

    def sensor_ids(self) -> list[str]:
        """Every sensor that has readings."""
        ...

    def rollups(self, sensor_id: str, start_ms: int, end_ms: int) -> Rollups:
        """Hourly rollups of one sensor whose hour starts in [start_ms, end_ms), as sensor index 0.

        Feed them to ``processing.daily.daily_from_rollups(r, sensor_ids=[sensor_id], tz=..., scheme=...)``.
        An unknown sensor or an empty range gives empty rollups.
        """
        ...

    def minute_levels(
        self, sensor_id: str, start_ms: int, end_ms: int, *, bucket_s: int = 60
    ) -> LevelBuckets:
        """Energy sums per ``bucket_s`` (60 or 900) of the minutes starting in [start_ms, end_ms), from the
        minute rollups the store maintains at write time (exact energy sums, not a raw scan)."""
        ...

    def events(self, sensor_id: str, start_ms: int, end_ms: int, params: EventParams) -> Events | None:
        """Pass-by events kept at write time that start in [start_ms, end_ms), sorted by threshold then
        start (``sensor`` 0), or None when the store keeps none for these parameters (then compute them
        with ``processing.events.find_events`` over the loud raw readings)."""
        ...

    def apply_retention(self, now_s: float) -> None:
        """Delete raw readings that started more than ``raw_retention_days`` before ``now_s`` (0 = keep all).

        Rollups are kept. Later writes of readings before the cut-off are refused (``expired``).
        """
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        ...

    def close(self) -> None: ...
