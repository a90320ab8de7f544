"""SqliteStore: the embedded time-series store (standard-library sqlite3, WAL mode).

One file, safe for a collector process and several API worker processes at once: WAL lets readers run
beside the single writer, and ``busy_timeout`` makes a second writer wait instead of failing. Each thread
gets its own connection.

Idempotency: inside one ``BEGIN IMMEDIATE`` transaction a write drops expired readings, uplinks already
seen, repeats inside the batch and readings already stored (a per-sensor ``MAX(start_ms)`` settles appended
data; only older starts are looked up by key), inserts the rest (first version wins) and returns the count.
In the same transaction the hourly rollups (``rollups_hourly``, see :mod:`store.hourly`) of the affected
hours are merged with exactly those new rows, so a re-send or a QoS 1 duplicate never counts twice and a
late reading updates its hour.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from noiselab.domain.errors import StoreUnavailable
from noiselab.domain.readings import Reading
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, Events
from noiselab.processing.rollups import Rollups
from noiselab.store import minutes, passbys
from noiselab.store.base import LevelBuckets, ReadingBatch, ReadingColumns, WriteResult
from noiselab.store.hourly import (
    HourRow,
    hist_from_legacy,
    merged_rows,
    rollup_columns,
    rollups_from_columns,
)
from noiselab.store.sqlite_connection import SqliteDatabase, sqlite_path

if TYPE_CHECKING:
    from noiselab.domain.settings import Settings

_TABLES = """
CREATE TABLE IF NOT EXISTS readings (
    sensor_id   TEXT    NOT NULL,
    start_ms    INTEGER NOT NULL,
    interval_s  REAL    NOT NULL,
    laeq        REAL    NOT NULL,
    lafmax      REAL,
    lafmin      REAL,
    lcpeak      REAL,
    source      TEXT    NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (sensor_id, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen_dedupe_ids (
    dedupe_id   TEXT PRIMARY KEY,
    received_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollups_hourly (
    sensor_id   TEXT    NOT NULL,
    hour_s      INTEGER NOT NULL,   -- UTC epoch seconds of the hour's start
    energy      REAL    NOT NULL,   -- Σ interval_s·10^(LAeq/10)
    seconds     REAL    NOT NULL,   -- Σ interval_s
    lafmax      REAL,
    lcpeak      REAL,
    hist        BLOB    NOT NULL,   -- seconds per 0.1-dB class, layout in store.hourly
    PRIMARY KEY (sensor_id, hour_s)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_blocks (
    digest       BLOB    PRIMARY KEY,  -- blake2b of the header and the block's text (noiselab import)
    rows         INTEGER NOT NULL,     -- readings of the block, every one stored or a duplicate
    min_start_ms INTEGER NOT NULL      -- a retention cut-off after this makes the entry void
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retention (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff_ms   INTEGER NOT NULL    -- raw readings before this were deleted; later ones are refused
);
"""
SCHEMA = _TABLES + minutes.TABLE + passbys.TABLE

SCHEMA_VERSION = 4  # PRAGMA user_version; 2: histogram blobs as in store.hourly; 3: minute rollups;
# 4: quarter-hour rollups

COLUMNS = (
    "sensor_id",
    "start_ms",
    "interval_s",
    "laeq",
    "lafmax",
    "lafmin",
    "lcpeak",
    "source",
    "received_ms",
)


def _drop_seen_uplinks(conn: sqlite3.Connection, batch: Sequence[Reading], now_ms: int) -> list[Reading]:
    """Drop readings of LoRaWAN uplinks already stored (perhaps under another receive time); note new ids."""
    ids = sorted({r.dedupe_id for r in batch if r.dedupe_id})
    seen = {
        row[0]
        for row in conn.execute(
            "SELECT d.dedupe_id FROM json_each(?) AS j"
            " CROSS JOIN seen_dedupe_ids AS d ON d.dedupe_id = j.value",
            (json.dumps(ids),),
        )
    }
    conn.executemany(
        "INSERT OR IGNORE INTO seen_dedupe_ids (dedupe_id, received_ms) VALUES (?, ?)",
        [(d, now_ms) for d in ids if d not in seen],
    )
    return [r for r in batch if r.dedupe_id not in seen]


def _not_stored(conn: sqlite3.Connection, batch: Sequence[Reading]) -> list[Reading]:
    """The readings of the batch to insert: not stored yet, and the first of equal (sensor, start) in it.

    Only readings that start no later than their sensor's latest stored reading can be stored already, so
    appended data (the usual case) costs one index lookup per sensor instead of one per reading.
    """
    keys = list(map(_KEY, batch))
    if len(set(keys)) == len(keys):
        first: Sequence[Reading] = batch
    else:
        unique: dict[tuple[str, int], Reading] = {}
        for key, r in zip(keys, batch, strict=True):
            unique.setdefault(key, r)
        first, keys = list(unique.values()), list(unique)
    sensors = json.dumps(sorted({k[0] for k in keys}))
    latest = {s: t for s, t in conn.execute(_LATEST, (sensors,)) if t is not None}
    suspects = [k for k in keys if k[1] <= latest.get(k[0], -math.inf)] if latest else []
    if not suspects:
        return list(first)
    stored = set(conn.execute(_STORED_KEYS, (json.dumps(suspects),)).fetchall())
    return [r for key, r in zip(keys, first, strict=True) if key not in stored]


_INSERT = f"INSERT INTO readings ({','.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
_KEY = attrgetter("sensor_id", "start_ms")
_LATEST = (  # the latest stored start of each sensor in a JSON list
    "SELECT j.value, (SELECT MAX(start_ms) FROM readings WHERE sensor_id = j.value) FROM json_each(?) AS j"
)
_STORED_KEYS = (  # which (sensor_id, start_ms) of a JSON list of pairs exist: one primary-key search each
    "SELECT r.sensor_id, r.start_ms FROM json_each(?) AS j CROSS JOIN readings AS r"
    " ON r.sensor_id = j.value ->> 0 AND r.start_ms = j.value ->> 1"
)
_STORED_HOURS = (
    "SELECT r.sensor_id, r.hour_s, r.energy, r.seconds, r.lafmax, r.lcpeak, r.hist"
    " FROM json_each(?) AS j CROSS JOIN rollups_hourly AS r"
    " ON r.sensor_id = j.value ->> 0 AND r.hour_s = j.value ->> 1"
)
_UPSERT_HOUR = (
    "INSERT OR REPLACE INTO rollups_hourly (sensor_id, hour_s, energy, seconds, lafmax, lcpeak, hist)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_READ_CHUNK = 200_000
# a connection that writes in bulk (import) checkpoints the WAL every ~40 MB instead of every ~4 MB: each
# checkpoint copies the WAL into the database, and fewer of them made imports ~15 % faster here
_BULK_CHECKPOINT_PAGES = 10_000


_LATEST_ONE = "SELECT MAX(start_ms) FROM readings WHERE sensor_id = ?"
_STARTS_IN = "SELECT start_ms FROM readings WHERE sensor_id = ? AND start_ms >= ? AND start_ms <= ?"


def _first_of_equal_keys(sensor: np.ndarray, start_ms: np.ndarray) -> np.ndarray:
    """True for the first row of each (sensor, start) in batch order."""
    if sensor.size < 2:
        return np.ones(sensor.size, dtype=bool)
    increasing = (sensor[1:] == sensor[:-1]) & (start_ms[1:] > start_ms[:-1])
    if increasing.all():  # one sensor, strictly increasing: the usual block of a file
        return np.ones(sensor.size, dtype=bool)
    order = np.lexsort((start_ms, sensor))  # stable: equal keys stay in batch order
    s, t = sensor[order], start_ms[order]
    first = np.ones(sensor.size, dtype=bool)
    first[order[1:]] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
    return first


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _insert_columns(
    conn: sqlite3.Connection,
    sensor_id: str,
    source: str,
    received_ms: int,
    start_ms: np.ndarray,
    values: dict[str, np.ndarray],
) -> None:
    """Insert one sensor's new readings, binding only what varies: constants of the batch (sensor, source,
    receive time, an interval shared by every row) are SQL literals, optional columns never reported are
    left out (NULL). About 15 % less per row than binding all nine columns."""
    columns = ["sensor_id", "source", "received_ms", "start_ms"]
    literals = [_literal(sensor_id), _literal(source), str(int(received_ms)), "?"]
    bound = [start_ms]
    for name, col in values.items():
        if name != "laeq" and np.isnan(col).all():
            continue  # never reported: NULL
        columns.append(name)
        if name == "interval_s" and (col == col[0]).all():
            literals.append(repr(float(col[0])))
        else:
            literals.append("?")
            bound.append(col)
    sql = f"INSERT INTO readings ({', '.join(columns)}) VALUES ({', '.join(literals)})"
    conn.executemany(sql, zip(*(c.tolist() for c in bound), strict=True))  # NaN binds as NULL


def _stored_starts(conn: sqlite3.Connection, sensor_id: str, start_ms: np.ndarray) -> np.ndarray:
    """Which of these starts of one sensor are stored already: one range scan over [min, max]."""
    lo, hi = int(start_ms.min()), int(start_ms.max())
    latest = conn.execute(_LATEST_ONE, (sensor_id,)).fetchone()[0]
    if latest is None or latest < lo:
        return np.zeros(start_ms.size, dtype=bool)  # appended data: nothing to look up
    cur = conn.execute(_STARTS_IN, (sensor_id, lo, hi))
    stored = np.fromiter((row[0] for row in cur), dtype=np.int64)
    return np.isin(start_ms, stored, assume_unique=False)


class SqliteStore(SqliteDatabase):
    schema = SCHEMA

    def __init__(
        self,
        path: Path | str,
        *,
        raw_retention_days: int = 0,
        timeout_s: float = 30.0,
        event_params: EventParams = DEFAULT_EVENTS,
    ) -> None:
        self.raw_retention_days = raw_retention_days
        self.timeout_s = timeout_s
        self.event_params = event_params
        super().__init__(path)
        self._migrate()
        self._check_event_params()

    @classmethod
    def from_url(
        cls, url: str, *, raw_retention_days: int = 0, event_params: EventParams = DEFAULT_EVENTS
    ) -> SqliteStore:
        return cls(sqlite_path(url), raw_retention_days=raw_retention_days, event_params=event_params)

    @classmethod
    def from_settings(cls, settings: Settings) -> SqliteStore:
        return cls.from_url(
            settings.effective_store_url,
            raw_retention_days=settings.raw_retention_days,
            event_params=settings.event_params,
        )

    def _check_event_params(self) -> None:
        """Stored events are for one set of event parameters: rebuild them (once) for other ones."""
        key = passbys.params_key(self.event_params)
        if self._query("SELECT params FROM event_params WHERE id = 1") == [(key,)]:
            return
        with self._tx() as conn:
            if passbys.stored_params(conn) != key:  # not rebuilt by another process meanwhile
                passbys.rebuild(conn, self.event_params)

    def _migrate(self) -> None:
        """Bring an older file to ``SCHEMA_VERSION`` (1 -> 2: histogram blobs in the current layout; 2 -> 3:
        minute rollups of the readings already stored)."""
        if self._query("PRAGMA user_version")[0][0] >= SCHEMA_VERSION:
            return
        with self._tx() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return  # another process migrated it meanwhile
            if version < 2:
                old = conn.execute("SELECT sensor_id, hour_s, hist FROM rollups_hourly").fetchall()
                conn.executemany(
                    "UPDATE rollups_hourly SET hist = ? WHERE sensor_id = ? AND hour_s = ?",
                    [(hist_from_legacy(h), s, t) for s, t, h in old],
                )
            if version < 3:
                conn.execute("DELETE FROM rollups_minute")
                conn.execute(minutes.BACKFILL)
            conn.execute("DELETE FROM rollups_quarter")
            conn.execute(minutes.BACKFILL_QUARTERS)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # --- writes -------------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading]) -> WriteResult:
        if not readings:
            return WriteResult(0, 0)
        now_ms = int(time.time() * 1000)
        with self._tx() as conn:
            batch: Sequence[Reading] = readings
            cutoff = conn.execute("SELECT cutoff_ms FROM retention WHERE id = 1").fetchone()
            if cutoff is not None:
                batch = [r for r in readings if r.start_ms >= cutoff[0]]
            expired = len(readings) - len(batch)
            if any(r.dedupe_id for r in batch):
                batch = _drop_seen_uplinks(conn, batch, now_ms)
            new = _not_stored(conn, batch)
            conn.executemany(
                _INSERT,
                [
                    (r.sensor_id, r.start_ms, r.interval_s, r.laeq, r.lafmax, r.lafmin, r.lcpeak, r.source,
                     now_ms)
                    for r in new
                ],
            )  # fmt: skip
            if new:
                self._after_insert(conn, new)
        return WriteResult(stored=len(new), duplicates=len(readings) - len(new) - expired, expired=expired)

    def _after_insert(self, conn: sqlite3.Connection, new: Sequence[Reading]) -> None:
        """Inside the write transaction: merge the new readings into their hours' and minutes' rollups."""
        columns = ReadingBatch.from_readings(new)
        self._merge_minutes(conn, columns)
        passbys.update_batch(
            conn, columns.sensor_ids, columns.sensor, columns.start_ms, columns.laeq, self.event_params
        )
        c = columns
        batch = rollup_columns(c.sensor_ids, c.sensor, c.start_ms, c.interval_s, c.laeq, c.lafmax, c.lcpeak)
        stored = [HourRow(*row) for row in conn.execute(_STORED_HOURS, (json.dumps(batch.hours()),))]
        conn.executemany(
            _UPSERT_HOUR,
            [
                (r.sensor_id, r.hour_s, r.energy, r.seconds, r.lafmax, r.lcpeak, r.hist)
                for r in merged_rows(batch, stored)
            ],
        )

    def _merge_minutes(self, conn: sqlite3.Connection, new: ReadingBatch) -> None:
        for bucket_s, table in minutes.TABLES.items():
            sums = minutes.minute_sums(
                new.sensor, new.start_ms, new.interval_s, new.laeq, new.lafmax, new.lcpeak, bucket_s=bucket_s
            )
            conn.executemany(minutes.upsert(table), sums.rows(new.sensor_ids))

    def write_batch(self, batch: ReadingBatch, *, block_digest: bytes | None = None) -> WriteResult:
        """The bulk path of ``write`` (same idempotency, one transaction): readings as columns.

        Per sensor, only starts within the range of the stored readings are looked up, one range query for
        the whole batch (a re-sent block costs one indexed range scan, not one search per reading).
        With ``block_digest`` (an import block whose every row is in the batch) and nothing expired, the
        block goes into the import ledger in the same transaction, so :meth:`known_block` never claims a
        block that was not committed.
        """
        n = len(batch)
        if n == 0:
            return WriteResult(0, 0)
        now_ms = int(time.time() * 1000)
        if not getattr(self._local, "bulk", False):  # this connection writes in bulk: checkpoint less often
            self._conn().execute(f"PRAGMA wal_autocheckpoint={_BULK_CHECKPOINT_PAGES}")
            self._local.bulk = True
        with self._tx() as conn:
            keep = np.ones(n, dtype=bool)
            cutoff = conn.execute("SELECT cutoff_ms FROM retention WHERE id = 1").fetchone()
            if cutoff is not None:
                keep &= batch.start_ms >= cutoff[0]
            expired = n - int(keep.sum())
            keep &= _first_of_equal_keys(batch.sensor, batch.start_ms)
            for i, sensor_id in enumerate(batch.sensor_ids):
                mine = keep & (batch.sensor == i)
                if mine.any():
                    keep[mine] &= ~_stored_starts(conn, sensor_id, batch.start_ms[mine])
            new = np.flatnonzero(keep)
            cols = [c[new] for c in (batch.sensor, batch.start_ms, batch.interval_s, batch.laeq)]
            opt = [c[new] for c in (batch.lafmax, batch.lafmin, batch.lcpeak)]
            for i, sensor_id in enumerate(batch.sensor_ids):
                mine = cols[0] == i
                if mine.any():
                    _insert_columns(
                        conn, sensor_id, batch.source, now_ms, cols[1][mine],
                        {"interval_s": cols[2][mine], "laeq": cols[3][mine], "lafmax": opt[0][mine],
                         "lafmin": opt[1][mine], "lcpeak": opt[2][mine]},
                    )  # fmt: skip
            if new.size:
                rolled = rollup_columns(batch.sensor_ids, cols[0], cols[1], cols[2], cols[3], opt[0], opt[2])
                stored = [HourRow(*row) for row in conn.execute(_STORED_HOURS, (json.dumps(rolled.hours()),))]
                conn.executemany(
                    _UPSERT_HOUR,
                    [
                        (r.sensor_id, r.hour_s, r.energy, r.seconds, r.lafmax, r.lcpeak, r.hist)
                        for r in merged_rows(rolled, stored)
                    ],
                )
                for bucket_s, table in minutes.TABLES.items():
                    sums = minutes.minute_sums(
                        cols[0], cols[1], cols[2], cols[3], opt[0], opt[2], bucket_s=bucket_s
                    )
                    conn.executemany(minutes.upsert(table), sums.rows(batch.sensor_ids))
                passbys.update_batch(conn, batch.sensor_ids, cols[0], cols[1], cols[3], self.event_params)
            if block_digest is not None and expired == 0:
                conn.execute(
                    "INSERT INTO import_blocks (digest, rows, min_start_ms) VALUES (?, ?, ?)"
                    " ON CONFLICT (digest) DO NOTHING",
                    (block_digest, n, int(batch.start_ms.min())),
                )
        stored_n = int(new.size)
        return WriteResult(stored=stored_n, duplicates=n - stored_n - expired, expired=expired)

    def known_block(self, digest: bytes) -> int | None:
        """Rows of a block in the import ledger, unless retention has deleted some of its readings since."""
        row = self._query(
            "SELECT b.rows FROM import_blocks AS b LEFT JOIN retention AS r ON r.id = 1"
            " WHERE b.digest = ? AND (r.cutoff_ms IS NULL OR r.cutoff_ms <= b.min_start_ms)",
            (digest,),
        )
        return int(row[0][0]) if row else None

    def apply_retention(self, now_s: float) -> None:
        if self.raw_retention_days <= 0:
            return
        cutoff_ms = int((now_s - self.raw_retention_days * 86400) * 1000)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO retention (id, cutoff_ms) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET cutoff_ms = MAX(cutoff_ms, excluded.cutoff_ms)",
                (cutoff_ms,),
            )
            conn.execute("DELETE FROM seen_dedupe_ids WHERE received_ms < ?", (cutoff_ms,))
        for sensor_id in self.sensor_ids():  # one transaction per sensor keeps the write lock short
            with self._tx() as conn:
                conn.execute(
                    "DELETE FROM readings WHERE sensor_id = ? AND start_ms < ?", (sensor_id, cutoff_ms)
                )

    # --- reads --------------------------------------------------------------------------------------
    def latest(self, sensor_id: str) -> Reading | None:
        rows = self._query(
            "SELECT sensor_id, start_ms, interval_s, laeq, lafmax, lafmin, lcpeak, source FROM readings"
            " WHERE sensor_id = ? ORDER BY start_ms DESC LIMIT 1",
            (sensor_id,),
        )
        if not rows:
            return None
        return Reading(*rows[0])

    def read(
        self,
        sensor_id: str,
        start_ms: int,
        end_ms: int,
        *,
        limit: int | None = None,
        min_laeq_db: float | None = None,
    ) -> ReadingColumns:
        loud = "" if min_laeq_db is None else " AND laeq > ?"
        sql = (
            "SELECT start_ms, interval_s, laeq, lafmax, lafmin, lcpeak FROM readings"
            f" WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ?{loud} ORDER BY start_ms"
        )
        params: list[object] = [sensor_id, start_ms, end_ms]
        if min_laeq_db is not None:
            params.append(float(min_laeq_db))
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        chunks: list[np.ndarray] = []
        try:
            cur = self._conn().execute(sql, params)
            while rows := cur.fetchmany(_READ_CHUNK):
                chunks.append(np.array(rows, dtype=np.float64))  # None -> nan; ms fit float64 exactly
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite read failed: {exc}") from exc
        if not chunks:
            return ReadingColumns.empty()
        arr = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        return ReadingColumns.from_rows(arr)

    def rollups(self, sensor_id: str, start_ms: int, end_ms: int) -> Rollups:
        rows = self._query(
            "SELECT hour_s, energy, seconds, lafmax, lcpeak, hist FROM rollups_hourly"
            " WHERE sensor_id = ? AND hour_s >= ? AND hour_s < ? ORDER BY hour_s",
            (sensor_id, -(-start_ms // 1000), -(-end_ms // 1000)),
        )
        return rollups_from_columns(*zip(*rows, strict=True)) if rows else Rollups.empty(bucket_s=3600)

    def minute_levels(
        self, sensor_id: str, start_ms: int, end_ms: int, *, bucket_s: int = 60
    ) -> LevelBuckets:
        if bucket_s <= 0 or bucket_s % 60:
            raise ValueError(f"bucket_s must be a positive multiple of 60, got {bucket_s}")
        lo, hi = -(-start_ms // 1000), -(-end_ms // 1000)
        table = minutes.TABLES.get(bucket_s)
        if table is not None and lo % bucket_s == 0 and hi % bucket_s == 0:  # whole stored buckets
            rows = self._query(minutes.select(table), (sensor_id, lo, hi))
        else:
            rows = self._query(minutes.SELECT_GROUPED, (bucket_s, bucket_s, sensor_id, lo, hi))
        if not rows:
            e = np.zeros(0)
            return LevelBuckets(np.zeros(0, dtype=np.int64), e, e, e, e, bucket_s)
        arr = np.array(rows, dtype=np.float64)  # None -> nan
        return LevelBuckets(arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], bucket_s)

    def events(self, sensor_id: str, start_ms: int, end_ms: int, params: EventParams) -> Events | None:
        """Stored events of one sensor that start in [start_ms, end_ms), at the thresholds of ``params``
        (sorted by threshold, then start), or None when the store does not keep events for these
        parameters (another merge gap, minimum duration or a threshold it does not keep)."""
        kept = passbys.thresholds(self.event_params)
        wanted = passbys.thresholds(params)
        if (
            params.merge_gap_s != self.event_params.merge_gap_s
            or params.min_duration_s != self.event_params.min_duration_s
            or not set(wanted) <= set(kept)
        ):
            return None
        rows: list[tuple[float, float, float, int, float, float]] = []
        for t in wanted:
            rows += self._query(
                "SELECT threshold_db, start_s, end_s, n_readings, max_db, sel_db FROM events"
                " WHERE sensor_id = ? AND threshold_db = ? AND start_s >= ? AND start_s < ? ORDER BY start_s",
                (sensor_id, t, start_ms / 1000.0, end_ms / 1000.0),
            )
        return passbys.read_events(rows)

    def sensor_ids(self) -> list[str]:
        # rollups outlive raw readings and are far fewer rows to scan
        rows = self._query("SELECT DISTINCT sensor_id FROM rollups_hourly ORDER BY sensor_id")
        return [r[0] for r in rows]
