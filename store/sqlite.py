"""SqliteStore: the embedded time-series store (standard-library sqlite3, WAL mode).

One file, safe for a collector process and several API worker processes at once: WAL lets readers run
beside the single writer, and ``busy_timeout`` makes a second writer wait instead of failing. Each thread
gets its own connection.

Idempotency: readings go through a temporary table; only rows whose (sensor_id, start_ms) is new are
inserted (first version wins), and the count of new rows is returned.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from noiselab.errors import StoreUnavailable
from noiselab.readings import Reading
from store.base import ReadingColumns, WriteResult

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


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # durable against process crashes; fsync at checkpoints
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class SqliteDatabase:
    """Connection handling shared by the store and the registry: one connection per thread."""

    schema = ""

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
                conn = connect(self.path)
            except sqlite3.Error as exc:
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


class SqliteStore(SqliteDatabase):
    schema = SCHEMA

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        return cls(sqlite_path(url))

    # --- writes -------------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading]) -> WriteResult:
        if not readings:
            return WriteResult(0, 0)
        now_ms = int(time.time() * 1000)
        rows = [
            (
                r.sensor_id,
                r.start_ms,
                r.interval_s,
                r.laeq,
                r.lafmax,
                r.lafmin,
                r.lcpeak,
                r.source,
                now_ms,
                r.dedupe_id,
            )
            for r in readings
        ]
        with self._tx() as conn:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS incoming (sensor_id TEXT, start_ms INTEGER, interval_s REAL,"
                " laeq REAL, lafmax REAL, lafmin REAL, lcpeak REAL, source TEXT, received_ms INTEGER,"
                " dedupe_id TEXT)"
            )
            conn.execute("DELETE FROM incoming")
            conn.executemany(f"INSERT INTO incoming VALUES ({','.join('?' * (len(COLUMNS) + 1))})", rows)
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
            before = conn.total_changes
            conn.execute(
                f"INSERT OR IGNORE INTO readings ({','.join(COLUMNS)}) "
                f"SELECT {','.join(COLUMNS)} FROM incoming ORDER BY rowid"
            )
            stored = conn.total_changes - before
            self._after_insert(conn)
        return WriteResult(stored=stored, duplicates=len(rows) - stored)

    def _after_insert(self, conn: sqlite3.Connection) -> None:
        """Hook inside the write transaction (rollups are maintained here)."""

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
        rows = self._query(sql, params)
        if not rows:
            return ReadingColumns.empty()
        arr = np.array(rows, dtype=np.float64)  # None -> nan
        return ReadingColumns(
            start_ms=np.array([r[0] for r in rows], dtype=np.int64),
            interval_s=arr[:, 1],
            laeq=arr[:, 2],
            lafmax=arr[:, 3],
            lafmin=arr[:, 4],
            lcpeak=arr[:, 5],
        )

    def sensor_ids(self) -> list[str]:
        rows = self._query("SELECT DISTINCT sensor_id FROM readings ORDER BY sensor_id")
        return [r[0] for r in rows]
