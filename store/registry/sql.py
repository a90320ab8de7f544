"""The registry's SQL seam: one small interface over a DB-API connection, so that every registry role is
written once in portable SQL and runs on SQLite (the embedded default) and PostgreSQL (several hosts).

Portable SQL means: ``?`` placeholders (translated for psycopg), ``INSERT ... ON CONFLICT ... DO NOTHING /
DO UPDATE SET x = excluded.x``, ``RETURNING`` for generated ids, integers 0/1 for booleans. DDL uses the
placeholders of :data:`SQLITE_TYPES` (``{id}``, ``{blob}``, ...), filled in per dialect by the backend.

Errors: every driver error becomes :class:`noiselab.domain.errors.StoreUnavailable` (``raise ... from``),
except :class:`Conflict` for a unique-key violation, which callers turn into 409s or "already there".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from noiselab.domain.errors import StoreUnavailable
from noiselab.store.sqlite_connection import SqliteDatabase

Params = Sequence[Any]
Row = tuple[Any, ...]

SQLITE_TYPES = {
    "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "blob": "BLOB",
    "text": "TEXT",
    "bigint": "INTEGER",
    "real": "REAL",
    "bool": "INTEGER",
}


class Conflict(StoreUnavailable):
    """A unique or primary key already holds this value."""


class Cursor(Protocol):
    """What a transaction hands out: run statements inside it."""

    def execute(self, sql: str, params: Params = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Params]) -> Any: ...
    def fetchall(self) -> list[Row]: ...
    def fetchone(self) -> Row | None: ...

    @property
    def rowcount(self) -> int: ...


class SqlDatabase(Protocol):
    """A registry database: SQLite file or PostgreSQL server."""

    dialect: str  # "sqlite" or "postgresql"
    types: dict[str, str]  # DDL placeholders for this dialect

    def transaction(self) -> Any:
        """A context manager yielding a :class:`Cursor`; commits on exit, rolls back on error."""
        ...

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...
    def query_one(self, sql: str, params: Params = ()) -> Row | None: ...
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; returns the affected row count."""
        ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class SqliteSql(SqliteDatabase):
    """:class:`SqlDatabase` on a SQLite file, with the store's connection handling (one connection per
    thread, WAL, ``BEGIN IMMEDIATE`` writes); a unique-key violation becomes :class:`Conflict`."""

    dialect = "sqlite"
    types = SQLITE_TYPES

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        try:
            with self._tx() as conn:
                yield conn.cursor()
        except StoreUnavailable as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise Conflict(f"registry conflict: {exc.__cause__}") from exc.__cause__
            raise

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return self._query(sql, params)

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Params = ()) -> int:
        with self.transaction() as cur:
            cur.execute(sql, params)
            return int(cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self.transaction() as cur:
            cur.executemany(sql, rows)
