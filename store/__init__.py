"""Storage adapters behind one small protocol (``store.base.ReadingStore``).

``SqliteStore`` (embedded, WAL) and ``InfluxStore`` are the only places that know SQL, line protocol or
InfluxQL. ``store.registry.Registry`` keeps metadata (sensors, keys, dead letters) in SQLite for both.
"""
