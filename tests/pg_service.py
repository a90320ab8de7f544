"""The tests' face of :mod:`localservices.postgres`: a missing PostgreSQL skips, or fails in CI."""

from __future__ import annotations

from localservices import ServiceMissing, postgres
from localservices.postgres import PostgresServer
from tests.services import missing

__all__ = ["PostgresServer", "start_postgres"]


def start_postgres() -> PostgresServer:
    try:
        return postgres.start_postgres()
    except ServiceMissing as exc:
        missing(exc)
        raise
