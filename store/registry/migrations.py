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
    Migration(
        2,
        "sensor status, history and pairs; alert rules, states, alerts, deliveries; leases",
        """
CREATE TABLE IF NOT EXISTS sensor_status (
    sensor_id      {text} PRIMARY KEY,
    arrival_ms     {bigint},
    reading_end_ms {bigint},
    battery_pct    {real},
    battery_ms     {bigint}
);
CREATE TABLE IF NOT EXISTS sensor_history (
    id          {id},
    sensor_id   {text} NOT NULL,
    kind        {text} NOT NULL,
    at_ms       {bigint} NOT NULL,
    offset_db   {real},
    body        {text} NOT NULL,
    by_whom     {text},
    created_ms  {bigint} NOT NULL
);
CREATE INDEX IF NOT EXISTS sensor_history_sensor ON sensor_history (sensor_id, at_ms);
CREATE TABLE IF NOT EXISTS sensor_pairs (
    sensor_a    {text} NOT NULL,
    sensor_b    {text} NOT NULL,
    relation    {text} NOT NULL,
    created_ms  {bigint} NOT NULL,
    PRIMARY KEY (sensor_a, sensor_b)
);
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     {text} PRIMARY KEY,
    body        {text} NOT NULL,
    created_ms  {bigint} NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_states (
    rule_id     {text} NOT NULL,
    sensor_id   {text} NOT NULL,
    body        {text} NOT NULL,
    updated_ms  {bigint} NOT NULL,
    PRIMARY KEY (rule_id, sensor_id)
);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id     {text} PRIMARY KEY,
    rule_id      {text} NOT NULL,
    sensor_id    {text} NOT NULL,
    state        {text} NOT NULL,
    value_db     {real},
    threshold_db {real},
    started_ms   {bigint} NOT NULL,
    ended_ms     {bigint},
    updated_ms   {bigint} NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_ms);
CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id        {text} NOT NULL,
    state           {text} NOT NULL,
    channel         {bigint} NOT NULL,
    channel_type    {text} NOT NULL,
    channel_json    {text} NOT NULL,
    payload         {text} NOT NULL,
    release_ms      {bigint} NOT NULL,
    next_attempt_ms {bigint} NOT NULL,
    attempts        {bigint} NOT NULL DEFAULT 0,
    delivered_ms    {bigint},
    last_error      {text},
    PRIMARY KEY (alert_id, state, channel)
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (delivered_ms, next_attempt_ms);
CREATE TABLE IF NOT EXISTS alert_attempts (
    id          {id},
    alert_id    {text} NOT NULL,
    state       {text} NOT NULL,
    channel     {bigint} NOT NULL,
    at_ms       {bigint} NOT NULL,
    ok          {bool} NOT NULL,
    outcome     {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_attempts_alert ON alert_attempts (alert_id);
CREATE TABLE IF NOT EXISTS leases (
    name        {text} PRIMARY KEY,
    holder      {text} NOT NULL,
    expires_ms  {bigint} NOT NULL
);
""",
    ),
    Migration(
        3,
        "trials and hourly weather (#12)",
        """
CREATE TABLE IF NOT EXISTS trials (
    trial_id    {text} PRIMARY KEY,
    body        {text} NOT NULL,
    created_ms  {bigint} NOT NULL,
    updated_ms  {bigint} NOT NULL
);
CREATE TABLE IF NOT EXISTS weather_hours (
    hour_s        {bigint} PRIMARY KEY,
    wind_speed_ms {real},
    wind_dir_deg  {real},
    precip_mm     {real},
    temp_c        {real},
    station       {text}
);
""",
    ),
    Migration(
        4,
        "vendors are competitors (#13): dead-letter bodies stored once, provenance, audit log",
        """
CREATE TABLE IF NOT EXISTS dead_letter_bodies (
    id          {id},
    received_ms {bigint} NOT NULL,
    owner       {text} NOT NULL,
    vendor      {text},
    source      {text} NOT NULL,
    topic       {text},
    credential  {text},
    size_bytes  {bigint} NOT NULL,
    n_items     {bigint} NOT NULL,
    raw         {blob} NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letter_bodies_owner ON dead_letter_bodies (owner, id);
CREATE INDEX IF NOT EXISTS dead_letter_bodies_time ON dead_letter_bodies (received_ms);
ALTER TABLE dead_letters ADD COLUMN body_id {bigint};
ALTER TABLE dead_letters ADD COLUMN item_index {bigint};
ALTER TABLE dead_letters ADD COLUMN vendor {text};
CREATE INDEX IF NOT EXISTS dead_letters_body ON dead_letters (body_id);
CREATE INDEX IF NOT EXISTS dead_letters_vendor ON dead_letters (vendor, id);
CREATE TABLE IF NOT EXISTS provenance (
    sensor_id   {text} NOT NULL,
    hour_ms     {bigint} NOT NULL,
    route       {text} NOT NULL,
    credential  {text} NOT NULL,
    source      {text} NOT NULL,
    topic       {text} NOT NULL,
    batches     {bigint} NOT NULL,
    readings    {bigint} NOT NULL,
    first_start_ms {bigint} NOT NULL,
    last_start_ms  {bigint} NOT NULL,
    first_received_ms {bigint} NOT NULL,
    last_received_ms  {bigint} NOT NULL,
    PRIMARY KEY (sensor_id, hour_ms, route, credential, source, topic)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id          {id},
    at_ms       {bigint} NOT NULL,
    actor       {text} NOT NULL,
    action      {text} NOT NULL,
    target      {text} NOT NULL,
    detail      {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, id);
""",
    ),
    Migration(
        5,
        "retired sensors (#14): keep their data, leave current answers",
        """
ALTER TABLE sensors ADD COLUMN retired_ms {bigint};
""",
    ),
    Migration(
        6,
        "LoRaWAN applications mapped to vendors (#13): ownership for network-server uplinks",
        """
CREATE TABLE IF NOT EXISTS lorawan_applications (
    application_id {text} PRIMARY KEY,
    vendor         {text} NOT NULL,
    created_ms     {bigint} NOT NULL,
    updated_ms     {bigint} NOT NULL
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
