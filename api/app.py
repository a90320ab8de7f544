"""The FastAPI application factory. The composition root (noiselab.cli.commands.up) builds the store,
registry and settings and hands them in; nothing here reads configuration."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from noiselab import __version__
from noiselab.api import openapi, problems
from noiselab.api.ratelimit import RateLimitMiddleware
from noiselab.api.routes import (
    admin,
    alerts,
    audit,
    daily,
    deadletters,
    events,
    health,
    ingest,
    levels,
    lorawan,
    ngsi,
    page,
    public,
    sensor_health,
    sensors,
    targets,
    trials,
)
from noiselab.api.strict import reject_unknown_query
from noiselab.domain.settings import Settings
from noiselab.ingest.pipeline import DeadLetterBounds, Pipeline
from noiselab.store.base import ReadingStore
from noiselab.store.calibrated import CalibratedStore
from noiselab.store.registry.base import KeyRegistry, Registry

DESCRIPTION = """
noiselab stores noise sensors' readings and reports acoustic metrics (LAeq, Lden, Lnight, LAFmax,
percentiles, events) computed with energy averaging on Danish day/evening/night periods, against
limit values. Errors are `application/problem+json` (RFC 9457). Times are ISO 8601 UTC; daily
records are keyed by local date (Europe/Copenhagen by default).
"""


def create_app(
    settings: Settings,
    store: ReadingStore,
    registry: Registry,
    *,
    collector: Any = None,
    keys: KeyRegistry | None = None,
) -> FastAPI:
    # unknown query parameters are refused on every route (api/strict.py)
    app = FastAPI(
        title="noiselab",
        version=__version__,
        description=DESCRIPTION,
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.settings = settings
    # readers get calibration offsets applied (store/calibrated.py); ingest below writes the raw store
    app.state.store = CalibratedStore(store, registry.history)
    app.state.registry = registry
    app.state.collector = collector
    app.state.keys = keys or registry.keys
    app.state.profiles = registry.profiles
    app.state.pipeline = Pipeline(store, registry)
    app.state.pipeline.dead_letter_bounds = DeadLetterBounds.from_settings(settings)
    problems.install(app)
    openapi.install(app)  # shared response declarations, optional security (api/openapi.py)
    app.add_middleware(RateLimitMiddleware)  # public and ingest rate limits (api/ratelimit.py)
    app.include_router(health.router)
    app.include_router(sensors.router)
    app.include_router(admin.router)
    app.include_router(ingest.router)
    app.include_router(deadletters.router)
    app.include_router(audit.router)  # audit log and provenance (#13)
    app.include_router(lorawan.router)  # LoRaWAN applications mapped to vendors (#13)
    for router in (levels.router, daily.router, events.router, ngsi.router, targets.router, trials.router):
        app.include_router(router)
    app.include_router(sensor_health.router)
    app.include_router(alerts.router)
    app.include_router(public.router)
    app.include_router(page.router)
    return app


def create_ops_app(settings: Settings, store: ReadingStore, *, collector: Any = None) -> FastAPI:
    """What ``noiselab collect`` serves: /health, /ready (store and broker) and /metrics only."""
    app = FastAPI(
        title="noiselab collector",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.settings = settings
    app.state.store = store
    app.state.collector = collector
    problems.install(app)
    app.include_router(health.router)
    return app
