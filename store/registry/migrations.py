"""Registry schema migrations: an ordered list, applied on start, safe when several processes start at once.

Each :class:`Migration` has a version (strictly increasing), a name and DDL written with the dialect
placeholders of :mod:`noiselab.store.registry.sql` (``{id}``, ``{blob}``, ``{text}``, ``{bigint}``,
``{real}``, ``{bool}``). To change the schema, append a migration; never edit one that has shipped.

Concurrency: the whole run happens in one write transaction that first takes the database's migration lock
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``pg_advisory_xact_lock``), then reads ``schema_version``, so two
processes starting together apply each migration exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from noiselab.store.registry.sql import SqlDatabase

MIGRATION_LOCK = 727_001  # PostgreSQL advisory lock key for migrations


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    ddl: str


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "sensors, dead letters, api keys, target profiles",
        """
CREATE TABLE IF NOT EXISTS sensors (
    sensor_id      {text} PRIMARY KEY,
    name           {text},
    vendor         {text},
    lat            {real},
    lon            {real},
    area_category  {text},
    source_type    {text} NOT NULL DEFAULT 'road',
    facade         {bool} NOT NULL DEFAULT 0,
    sonometer_class {text},
    interval_s     {real},
    target_profile {text},
    public         {bool} NOT NULL DEFAULT 0,
    placed         {bool} NOT NULL DEFAULT 0,
    created_ms     {bigint} NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id          {id},
    received_ms {bigint} NOT NULL,
    source      {text} NOT NULL,
    reason      {text} NOT NULL,
    detail      {text} NOT NULL,
    topic       {text},
    sensor_id   {text},
    raw         {blob} NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters (received_ms);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id      {id},
    key_hash    {text} NOT NULL UNIQUE,
    hint        {text} NOT NULL,
    role        {text} NOT NULL,
    vendor      {text},
    label       {text},
    created_ms  {bigint} NOT NULL,
    revoked_ms  {bigint}
);
CREATE TABLE IF NOT EXISTS target_profiles (
    profile_id  {text} NOT NULL,
    version     {bigint} NOT NULL,
    body        {text} NOT NULL,
    created_ms  {bigint} NOT NULL,
    PRIMARY KEY (profile_id, version)
);
""",
    ),
]


def statements(ddl: str, types: dict[str, str]) -> list[str]:
    """The DDL's statements with the dialect's types filled in."""
    return [s.strip() for s in ddl.format(**types).split(";") if s.strip()]


def migrate(db: SqlDatabase, migrations: list[Migration] | None = None) -> int:
    """Apply every migration newer than the database's version; returns the version reached."""
    todo = MIGRATIONS if migrations is None else migrations
    versions = [m.version for m in todo]
    if versions != sorted(set(versions)):
        raise ValueError("migration versions must be unique and increasing")
    with db.transaction() as cur:
        if db.dialect == "postgresql":
            cur.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL)"
        )
        cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        row = cur.fetchone()
        current = int(row[0]) if row else 0
        for m in todo:
            if m.version <= current:
                continue
            for sql in statements(m.ddl, db.types):
                cur.execute(sql)
            cur.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", (m.version, m.name))
            current = m.version
    return current
