"""The registry: sensors, API keys, target profiles, dead letters and the roles added beside them, shared by
every collector and API process of a deployment. Interfaces in :mod:`.base`, portable SQL roles over
:class:`.sql.SqlDatabase`, and two databases: SQLite (embedded default) and PostgreSQL (several hosts).

Adding a role: write its table as a migration (:mod:`.migrations`), a small class over ``SqlDatabase`` in its
own module, its ``Protocol`` in :mod:`.base`, and attach it in :class:`SqlRegistry.__init__`.
"""

from __future__ import annotations

from pathlib import Path

from noiselab.store.registry.alerts import Alerts, Leases
from noiselab.store.registry.audit import AuditLog
from noiselab.store.registry.base import ApiKey, DeadLetter, Registry, Sensor
from noiselab.store.registry.deadletters import DeadLetters
from noiselab.store.registry.history import SensorHistory
from noiselab.store.registry.keys import ApiKeys
from noiselab.store.registry.lorawan import LorawanApplications
from noiselab.store.registry.migrations import migrate
from noiselab.store.registry.ownership import Ownership
from noiselab.store.registry.profiles import TargetProfiles
from noiselab.store.registry.provenance import Provenance
from noiselab.store.registry.sensors import Sensors, dumps_raw
from noiselab.store.registry.sql import SqlDatabase, SqliteSql
from noiselab.store.registry.status import SensorStatuses
from noiselab.store.registry.trials import Trials, Weather

__all__ = [
    "ApiKey",
    "DeadLetter",
    "Registry",
    "Sensor",
    "SqlRegistry",
    "SqliteRegistry",
    "dumps_raw",
    "open_registry",
]


class SqlRegistry(Sensors):
    """The registry over any :class:`SqlDatabase`; migrates the schema when opened."""

    def __init__(self, db: SqlDatabase) -> None:
        super().__init__(db)
        migrate(db)
        self.keys = ApiKeys(db)
        self.profiles = TargetProfiles(db)
        self.status = SensorStatuses(db)
        self.history = SensorHistory(db)
        self.alerts = Alerts(db)
        self.leases = Leases(db)
        self.trials = Trials(db)
        self.weather = Weather(db)
        self.ownership = Ownership(db)  # #13: atomic first claim of a sensor
        self.provenance = Provenance(db)  # #13: route and credential of every stored batch
        self.audit = AuditLog(db)  # #13: admin actions
        self.deadletters = DeadLetters(db)  # #13: bodies stored once, quota and retention
        self.lorawan_applications = LorawanApplications(db)  # #13: application -> vendor, for ownership

    def ping(self) -> None:
        self.db.ping()

    def close(self) -> None:
        self.db.close()


class SqliteRegistry(SqlRegistry):
    """The embedded registry: one SQLite file (WAL), shared by the processes of one host."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(SqliteSql(self.path))


def open_registry(url: str) -> SqlRegistry:
    """``sqlite:///path/registry.db`` or ``postgresql://user:pass@host:5432/db``."""
    if url.startswith("sqlite:///"):
        return SqliteRegistry(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        from noiselab.store.registry.postgres import PostgresRegistry  # psycopg only where it is used

        return PostgresRegistry(url)
    raise ValueError(f"registry URL must be sqlite:/// or postgresql://, not {url.split(':', 1)[0]!r}")
