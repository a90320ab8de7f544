"""PostgreSQL-only parts of the registry: migrations under racing *processes*, the placeholder
translation, writes serialised like SQLite's, and a server that is not there."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from noiselab.domain.errors import StoreUnavailable
from noiselab.store.registry import SqlRegistry, open_registry
from noiselab.store.registry.migrations import MIGRATIONS
from noiselab.store.registry.postgres import PostgresRegistry, translate
from noiselab.store.registry.sql import Conflict
from tests.services import free_port

OPEN = "from noiselab.store.registry import open_registry; import sys; open_registry(sys.argv[1]).close()"


def test_migrations_apply_once_when_processes_start_together(fresh_pg_database: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, fresh_pg_database]) for _ in range(5)]
    assert [p.wait(120) for p in procs] == [0] * 5
    reg = open_registry(fresh_pg_database)
    assert isinstance(reg, PostgresRegistry)
    versions = [v for (v,) in reg.db.query("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [m.version for m in MIGRATIONS]
    reg.close()


@pytest.mark.parametrize(
    ("portable", "psycopg"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT 'what?' , ? FROM t", "SELECT 'what?' , %s FROM t"),
        ("SELECT 'it''s ?%', ? WHERE x LIKE 'a%'", "SELECT 'it''s ?%%', %s WHERE x LIKE 'a%%'"),
        ('SELECT "odd?col" FROM t WHERE v = ?', 'SELECT "odd?col" FROM t WHERE v = %s'),
        ("SELECT 10 % 3", "SELECT 10 %% 3"),
    ],
)
def test_placeholders_are_translated_outside_quotes_only(portable: str, psycopg: str) -> None:
    assert translate(portable) == psycopg


def test_literals_survive_the_round_trip(fresh_pg_registry: SqlRegistry) -> None:
    db = fresh_pg_registry.db
    assert db.query_one("SELECT 'what?', ?, '50%', 7 % 4", ("x",)) == ("what?", "x", "50%", 3)
    assert db.query_one("SELECT ?", (True,)) == (1,)  # booleans are stored 0/1, as on SQLite


def test_a_unique_violation_is_a_conflict_and_the_connection_lives_on(fresh_pg_registry: SqlRegistry) -> None:
    db = fresh_pg_registry.db
    db.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
    db.execute("INSERT INTO u (k) VALUES (?)", ("a",))
    with pytest.raises(Conflict):
        db.execute("INSERT INTO u (k) VALUES (?)", ("a",))
    assert db.query("SELECT k FROM u") == [("a",)]


def test_read_then_write_transactions_do_not_interleave(fresh_pg_registry: SqlRegistry) -> None:
    """Twenty threads each read a counter and write it + 1 inside one transaction: none is lost."""
    db = fresh_pg_registry.db
    db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("INSERT INTO counter (id, n) VALUES (1, 0)")

    def bump() -> None:
        for _ in range(5):
            with db.transaction() as cur:
                cur.execute("SELECT n FROM counter WHERE id = 1")
                row = cur.fetchone()
                assert row is not None
                cur.execute("UPDATE counter SET n = ? WHERE id = 1", (row[0] + 1,))

    threads = [threading.Thread(target=bump) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.query_one("SELECT n FROM counter WHERE id = 1") == (100,)


@pytest.mark.parametrize(
    "url", ["postgresql://nobody@127.0.0.1:{port}/none", "postgres://127.0.0.1:{port}/x"]
)
def test_an_absent_server_is_store_unavailable(url: str) -> None:
    with pytest.raises(StoreUnavailable):
        open_registry(url.format(port=free_port()))


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql", "", "sqlite://relative.db"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        open_registry(url)
