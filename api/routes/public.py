"""The public feed behind the residents' page and widget: no key, public sensors only.

- ``GET /v1/public/overview?lang=da|en``: every public sensor with its level now, last night, yesterday
- ``GET /v1/public/sensors/{sensor_id}?lang=``: the same plus 24 h of 1-min LAeq, 30 days of Lden, events
- ``GET /v1/public/stream?lang=&sensor=``: server-sent events ``level`` with a sensor's new level now; the
  server polls the store every second, ends the stream after ``STREAM_MAX_S`` (the browser reconnects) or
  when the client leaves, and refuses more than ``MAX_STREAMS`` streams at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.problems import problem
from noiselab.api.residents import Residents, TtlCache
from noiselab.domain.errors import UnknownSensor
from noiselab.store.registry import Registry, Sensor

router = APIRouter(prefix="/v1/public", tags=["public"])

POLL_S = 1.0
HEARTBEAT_S = 15.0
STREAM_MAX_S = 300.0
MAX_STREAMS = 200
NO_STORE = {"Cache-Control": "no-cache"}

Lang = Annotated[Literal["da", "en"], Query(description="Language of the plain-language texts")]
SENSOR_RE = r"^[A-Za-z0-9._-]{1,64}$"
SensorId = Path(pattern=SENSOR_RE, description="Sensor id", examples=["sim-001"])


def _residents(request: Request, store: StoreDep, settings: SettingsDep) -> Residents:
    cache = getattr(request.app.state, "residents_cache", None)
    if cache is None:
        cache = request.app.state.residents_cache = TtlCache(ttl_s=300.0)
    return Residents(store, settings, cache)


ResidentsDep = Annotated[Residents, Depends(_residents)]


def _public_sensor(registry: Registry, sensor_id: str) -> Sensor:
    sensor = registry.get_sensor(sensor_id)
    if sensor is None or not sensor.public:
        raise UnknownSensor(f"no public sensor {sensor_id!r}")
    return sensor


@router.get("/overview", summary="Public sensors: level now, last night and yesterday against their target")
def overview(
    residents: ResidentsDep,
    registry: RegistryDep,
    lang: Lang = "da",
    sensor: Annotated[str | None, Query(pattern=SENSOR_RE, description="Only this sensor")] = None,
) -> JSONResponse:
    sensors = [_public_sensor(registry, sensor)] if sensor else registry.list_sensors(public_only=True)
    return JSONResponse(residents.overview(sensors, now_s=time.time(), lang=lang), headers=NO_STORE)


@router.get("/sensors/{sensor_id}", summary="One public sensor: 24 h per minute, 30 days of Lden, events")
def sensor(
    residents: ResidentsDep, registry: RegistryDep, sensor_id: str = SensorId, lang: Lang = "da"
) -> JSONResponse:
    body = residents.detail(_public_sensor(registry, sensor_id), now_s=time.time(), lang=lang)
    return JSONResponse(body, headers=NO_STORE)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get("/stream", summary="Server-sent events: new levels now of public sensors as readings arrive")
async def stream(
    request: Request,
    residents: ResidentsDep,
    registry: RegistryDep,
    lang: Lang = "da",
    sensor: Annotated[str | None, Query(pattern=SENSOR_RE, description="Only this sensor")] = None,
) -> Any:
    state = request.app.state
    if getattr(state, "public_streams", 0) >= MAX_STREAMS:
        return problem(503, "Too many streams", "too many live streams open; try again shortly")
    sensors = await run_in_threadpool(registry.list_sensors, public_only=True)
    if sensor is not None:
        sensors = [s for s in sensors if s.sensor_id == sensor]
        if not sensors:
            raise UnknownSensor(f"no public sensor {sensor!r}")

    async def events() -> Any:
        state.public_streams = getattr(state, "public_streams", 0) + 1
        sent: dict[str, tuple[int, str]] = {}
        started = last_beat = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            while time.monotonic() - started < STREAM_MAX_S and not await request.is_disconnected():
                changed = await run_in_threadpool(
                    residents.changed_levels, sensors, sent, now_s=time.time(), lang=lang
                )
                for item in changed:
                    yield _event("level", item)
                if time.monotonic() - last_beat > HEARTBEAT_S:
                    last_beat = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(POLL_S)
        finally:
            state.public_streams -= 1

    headers = {**NO_STORE, "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
