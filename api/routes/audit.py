"""Accountability (SPEC §12): ``GET /v1/audit`` lists admin actions (admin key), and
``GET /v1/sensors/{sensor_id}/provenance`` says where a sensor's data came from (engineer key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from noiselab.api.auth import RequireAdmin, RequireEngineer
from noiselab.api.deps import RegistryDep
from noiselab.domain.errors import UnknownSensor

router = APIRouter(prefix="/v1", tags=["accountability"])

SensorId = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="Sensor id")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _paged(rows: list[dict[str, Any]], request: Request, name: str, cursor: int | None) -> JSONResponse:
    response = JSONResponse(rows)
    if cursor is not None:
        url = request.url.include_query_params(**{name: cursor})
        response.headers["Link"] = f'<{url}>; rel="next"'
        response.headers["X-Next-Cursor"] = str(cursor)
    return response


def actor_of(caller: Any) -> str:
    """How the audit log names who did it: the key's id (``key:12``)."""
    return f"key:{caller.key_id}" if getattr(caller, "key_id", None) is not None else "unknown"


@router.get(
    "/audit",
    summary="Admin actions: keys, sensors, targets, trials, alert rules (admin key)",
    description="Oldest first; `actor` is the admin key (`key:<id>`) or `cli`; `detail` what changed "
    '(never a key). Paged: the next page is in `Link: <...>; rel="next"` '
    "(`since_id` = the last `id` seen).",
)
def audit(
    request: Request,
    _: RequireAdmin,
    registry: RegistryDep,
    since_id: Annotated[int, Query(ge=0, le=2**62, description="Entries with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    target: Annotated[str | None, Query(max_length=200, description="e.g. `sensor:vb-1`, `key:3`")] = None,
) -> JSONResponse:
    entries = registry.audit.list(limit=limit, since_id=since_id, target=target)
    rows = [{**e, "at": _iso(e.pop("at_ms"))} for e in entries]
    return _paged(rows, request, "since_id", entries[-1]["id"] if len(entries) == limit else None)


@router.get(
    "/sensors/{sensor_id}/provenance",
    summary="Where a sensor's data came from: route, credential, format and topic per hour (engineer key)",
    description="Newest hour first. One row per receive hour and (route, credential, format, topic): "
    "`route` is `mqtt` or `http`; `credential` is `mqtt-user:<vendor>` (the topic's vendor, which the "
    "broker's ACL makes the MQTT user), `lorawan-application:<id>` for a LoRaWAN application mapped to a "
    "vendor, `mqtt-topic:<format>` for other network-server messages, or `key:<id>` "
    "(HTTP); "
    "`batches` and `readings` count the stored write batches and readings, with the span of their start "
    'times and of their arrival. Paged by whole hours: the next page is in `Link: <...>; rel="next"`.',
)
def provenance(
    request: Request,
    _: RequireEngineer,
    registry: RegistryDep,
    sensor_id: str = SensorId,
    before: Annotated[int | None, Query(ge=0, le=2**62, description="Hours before this (epoch ms)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Hours per page")] = 48,
) -> JSONResponse:
    if registry.get_sensor(sensor_id) is None:
        raise UnknownSensor(f"no sensor {sensor_id!r}")
    found = registry.provenance.list(sensor_id, limit=limit, before_hour_ms=before)
    rows = [
        {
            "hour": _iso(r["hour_ms"]),
            **{k: r[k] for k in ("route", "credential", "source", "topic", "batches", "readings")},
            "first_start": _iso(r["first_start_ms"]),
            "last_start": _iso(r["last_start_ms"]),
            "first_received": _iso(r["first_received_ms"]),
            "last_received": _iso(r["last_received_ms"]),
        }
        for r in found
    ]
    hours = {r["hour_ms"] for r in found}
    cursor = min(hours) if len(hours) == limit else None
    return _paged(rows, request, "before", cursor)
