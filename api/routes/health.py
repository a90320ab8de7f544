"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from noiselab import __version__
from noiselab.api.deps import StoreDep
from noiselab.api.problems import problem
from noiselab.domain.errors import StoreUnavailable

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Alive")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/ready", summary="Store (and broker, when this process collects) reachable", response_model=None)
def ready(request: Request, store: StoreDep) -> dict[str, object] | Response:
    checks: dict[str, str] = {}
    try:
        store.ping()
        checks["store"] = "ok"
    except StoreUnavailable as exc:
        checks["store"] = f"unavailable: {exc}"
    collector = getattr(request.app.state, "collector", None)
    if collector is not None:
        checks["broker"] = "ok" if collector.connected else "disconnected"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ready", "checks": checks}
    return problem(503, "Not ready", "; ".join(f"{k}: {v}" for k, v in checks.items()), checks=checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
