"""Ingestion shell: decoders (pure), the MQTT collector, HTTP ingest helpers, the simulator, the broker."""
