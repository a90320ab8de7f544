"""noiselab: noise sensor ingestion and acoustic analytics for the Silent City living lab.

Package map (imports point inward):

    processing/   pure numpy acoustics (no I/O)            <- imported by everyone, imports nothing of ours
    noiselab/     domain model (readings.py, errors.py), settings, command line (composition root)
    store/        ReadingStore protocol, SqliteStore, InfluxStore
    ingest/       decoders, validation, MQTT collector, simulator, embedded broker
    api/          FastAPI app, routes, resident page
"""

__version__ = "0.1.0"
