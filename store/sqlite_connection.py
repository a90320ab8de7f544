"""SQLite connections as the store and the registry both use them: one connection per thread, WAL, a
``busy_timeout`` so that a second writer waits, ``BEGIN IMMEDIATE`` write transactions, and every sqlite3
error turned into :class:`noiselab.domain.errors.StoreUnavailable` (``raise ... from``)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from noiselab.domain.errors import StoreUnavailable


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
