"""SqliteStore: the embedded time-series store (standard-library sqlite3, WAL mode).

One file, safe for a collector process and several API worker processes at once: WAL lets readers run
beside the single writer, and ``busy_timeout`` makes a second writer wait instead of failing. Each thread
gets its own connection.

Idempotency: readings go through a temporary table; only rows whose (sensor_id, start_ms) is new are
inserted (first version wins), and the count of new rows is returned. In the same transaction the hourly
rollups (``rollups_hourly``, see :mod:`store.hourly`) of the affected hours are merged with exactly those new
rows, so a re-send or a QoS 1 duplicate never counts twice and a late reading updates its hour.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from noiselab.errors import StoreUnavailable
from noiselab.readings import Reading
from processing.rollups import Rollups
from store.base import ReadingColumns, WriteResult
from store.hourly import HourRow, affected_hours, rollups_from_columns, updated_rows

if TYPE_CHECKING:
    from noiselab.settings import Settings

SCHEMA = """
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
    hist        BLOB    NOT NULL,   -- (int16 0.1-dB class, float64 seconds) pairs, little-endian
    PRIMARY KEY (sensor_id, hour_s)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retention (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff_ms   INTEGER NOT NULL    -- raw readings before this were deleted; later ones are refused
);
"""

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


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/or/absolute.db`` -> a Path (``sqlite:////abs`` is absolute too)."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url!r}")
    return Path(url.removeprefix("sqlite:///"))


def connect(path: Path, *, timeout_s: float = 30.0) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # durable against process crashes; fsync at checkpoints
    conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
    return conn


class SqliteDatabase:
    """Connection handling shared by the store and the registry: one connection per thread."""

    schema = ""
    timeout_s = 30.0  # how long a writer waits for another one (busy_timeout)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        if self.schema:
            try:
                self._conn().executescript(self.schema)  # executescript manages its own transaction
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot create schema in {self.path}: {exc}") from exc

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = connect(self.path, timeout_s=self.timeout_s)
            except (sqlite3.Error, OSError) as exc:
                raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"SQLite write failed: {exc}") from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:  # type: ignore[type-arg]
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite read failed: {exc}") from exc

    def ping(self) -> None:
        self._query("SELECT 1")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


_INCOMING = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming (pos INTEGER PRIMARY KEY, sensor_id TEXT, start_ms INTEGER,"
    " interval_s REAL, laeq REAL, lafmax REAL, lafmin REAL, lcpeak REAL, source TEXT, received_ms INTEGER,"
    " dedupe_id TEXT)"
)
_READ_CHUNK = 200_000


class SqliteStore(SqliteDatabase):
    schema = SCHEMA

    def __init__(self, path: Path | str, *, raw_retention_days: int = 0, timeout_s: float = 30.0) -> None:
        self.raw_retention_days = raw_retention_days
        self.timeout_s = timeout_s
        super().__init__(path)

    @classmethod
    def from_url(cls, url: str, *, raw_retention_days: int = 0) -> SqliteStore:
        return cls(sqlite_path(url), raw_retention_days=raw_retention_days)

    @classmethod
    def from_settings(cls, settings: Settings) -> SqliteStore:
        return cls.from_url(settings.effective_store_url, raw_retention_days=settings.raw_retention_days)

    # --- writes -------------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading]) -> WriteResult:
        if not readings:
            return WriteResult(0, 0)
        now_ms = int(time.time() * 1000)
        rows = [
            (i, r.sensor_id, r.start_ms, r.interval_s, r.laeq, r.lafmax, r.lafmin, r.lcpeak, r.source, now_ms,
             r.dedupe_id)
            for i, r in enumerate(readings)
        ]  # fmt: skip
        with self._tx() as conn:
            conn.execute(_INCOMING)
            conn.execute("DELETE FROM incoming")
            conn.executemany(f"INSERT INTO incoming VALUES ({','.join('?' * (len(COLUMNS) + 2))})", rows)
            expired = conn.execute(
                "DELETE FROM incoming WHERE start_ms < (SELECT cutoff_ms FROM retention WHERE id = 1)"
            ).rowcount
            if any(r.dedupe_id for r in readings):
                # a LoRaWAN uplink already stored (perhaps under another receive time) is a duplicate too
                conn.execute(
                    "DELETE FROM incoming WHERE dedupe_id IN (SELECT dedupe_id FROM seen_dedupe_ids)"
                )
                conn.execute(
                    "INSERT OR IGNORE INTO seen_dedupe_ids"
                    " SELECT DISTINCT dedupe_id, received_ms FROM incoming"
                    " WHERE dedupe_id IS NOT NULL"
                )
            # keep only what is new: not stored yet, and the first of equal (sensor, start) in the batch
            conn.execute(
                "DELETE FROM incoming WHERE EXISTS (SELECT 1 FROM readings r"
                " WHERE r.sensor_id = incoming.sensor_id AND r.start_ms = incoming.start_ms)"
            )
            conn.execute(
                "DELETE FROM incoming WHERE pos NOT IN"
                " (SELECT MIN(pos) FROM incoming GROUP BY sensor_id, start_ms)"
            )
            conn.execute(
                f"INSERT INTO readings ({','.join(COLUMNS)})"
                f" SELECT {','.join(COLUMNS)} FROM incoming ORDER BY pos"
            )
            new = [readings[p] for (p,) in conn.execute("SELECT pos FROM incoming ORDER BY pos")]
            self._after_insert(conn, new)
        return WriteResult(stored=len(new), duplicates=len(rows) - len(new) - expired, expired=expired)

    def _after_insert(self, conn: sqlite3.Connection, new: Sequence[Reading]) -> None:
        """Inside the write transaction: merge the new readings into the rollups of their hours."""
        if not new:
            return
        stored: list[HourRow] = []
        for sensor_id, hours in affected_hours(new).items():
            for i in range(0, len(hours), 500):
                part = hours[i : i + 500]
                stored += [
                    HourRow(*row)
                    for row in conn.execute(
                        "SELECT sensor_id, hour_s, energy, seconds, lafmax, lcpeak, hist FROM rollups_hourly"
                        f" WHERE sensor_id = ? AND hour_s IN ({','.join('?' * len(part))})",
                        (sensor_id, *part),
                    )
                ]
        conn.executemany(
            "INSERT OR REPLACE INTO rollups_hourly (sensor_id, hour_s, energy, seconds, lafmax, lcpeak, hist)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (r.sensor_id, r.hour_s, r.energy, r.seconds, r.lafmax, r.lcpeak, r.hist)
                for r in updated_rows(new, stored)
            ],
        )

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

    def read(self, sensor_id: str, start_ms: int, end_ms: int, *, limit: int | None = None) -> ReadingColumns:
        sql = (
            "SELECT start_ms, interval_s, laeq, lafmax, lafmin, lcpeak FROM readings"
            " WHERE sensor_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms"
        )
        params: list[object] = [sensor_id, start_ms, end_ms]
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
        return ReadingColumns(
            start_ms=arr[:, 0].astype(np.int64),
            interval_s=np.ascontiguousarray(arr[:, 1]),
            laeq=np.ascontiguousarray(arr[:, 2]),
            lafmax=np.ascontiguousarray(arr[:, 3]),
            lafmin=np.ascontiguousarray(arr[:, 4]),
            lcpeak=np.ascontiguousarray(arr[:, 5]),
        )

    def rollups(self, sensor_id: str, start_ms: int, end_ms: int) -> Rollups:
        rows = self._query(
            "SELECT hour_s, energy, seconds, lafmax, lcpeak, hist FROM rollups_hourly"
            " WHERE sensor_id = ? AND hour_s >= ? AND hour_s < ? ORDER BY hour_s",
            (sensor_id, -(-start_ms // 1000), -(-end_ms // 1000)),
        )
        return rollups_from_columns(*zip(*rows, strict=True)) if rows else Rollups.empty(bucket_s=3600)

    def sensor_ids(self) -> list[str]:
        # rollups outlive raw readings and are far fewer rows to scan
        rows = self._query("SELECT DISTINCT sensor_id FROM rollups_hourly ORDER BY sensor_id")
        return [r[0] for r in rows]
