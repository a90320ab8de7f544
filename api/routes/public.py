"""The public feed behind the residents' page and widget: no key, public sensors only.

- ``GET /v1/public/overview?lang=da|en``: every public sensor with its level now, last night, yesterday, and
  ``trials``: each public trial's result as one plain line with its 95 % interval
- ``GET /v1/public/sensors/{sensor_id}?lang=``: the same plus 24 h of 1-min LAeq, 30 days of Lden, events
- ``GET /v1/public/stream?lang=&sensor=``: server-sent events ``level`` with a sensor's new level now; the
  server polls the store every second, ends the stream after ``STREAM_MAX_S`` (the browser reconnects) or
  when the client leaves, and refuses (503) more than ``live_streams_max`` streams at once in total and
  (429) more than ``live_streams_per_client`` from one client address, so one client cannot lock residents
  out of the live page, with or without a key
- ``GET /v1/public/map``: the tile server URL template and its attribution (plain text) for the map
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from noiselab.api.catalog import DEFAULT, Lang
from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.problems import problem
from noiselab.api.residents import Residents, TtlCache
from noiselab.api.sensor_health import health_cache, levels_doubtful
from noiselab.api.streams import Slot, StreamSlots
from noiselab.api.views import trials as trial_view
from noiselab.domain.errors import UnknownSensor
from noiselab.store.registry import Registry, Sensor

router = APIRouter(prefix="/v1/public", tags=["public"])

POLL_S = 1.0
HEARTBEAT_S = 15.0
STREAM_MAX_S = 300.0
NO_STORE = {"Cache-Control": "no-cache"}

LangQuery = Annotated[Lang, Query(description="Language of the plain-language texts (one per catalog)")]
SENSOR_RE = r"^[A-Za-z0-9._-]{1,64}$"
SensorId = Path(pattern=SENSOR_RE, description="Sensor id", examples=["sim-001"])


def _residents(request: Request, store: StoreDep, settings: SettingsDep) -> Residents:
    cache = getattr(request.app.state, "residents_cache", None)
    if cache is None:
        cache = request.app.state.residents_cache = TtlCache(ttl_s=300.0)
    return Residents(store, settings, cache, profiles=request.app.state.profiles)


ResidentsDep = Annotated[Residents, Depends(_residents)]


def _public_sensor(registry: Registry, sensor_id: str) -> Sensor:
    sensor = registry.get_sensor(sensor_id)
    if sensor is None or not sensor.public or sensor.retired:
        raise UnknownSensor(f"no public sensor {sensor_id!r}")
    return sensor


@router.get("/overview", summary="Public sensors: level now, last night and yesterday against their target")
def overview(
    request: Request,
    residents: ResidentsDep,
    registry: RegistryDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: LangQuery = DEFAULT,
    sensor: Annotated[str | None, Query(pattern=SENSOR_RE, description="Only this sensor")] = None,
) -> JSONResponse:
    sensors = [_public_sensor(registry, sensor)] if sensor else registry.list_sensors(public_only=True)
    now = time.time()
    body = residents.overview(sensors, now_s=now, lang=lang)
    # "the measurements are uncertain right now" where a health check doubts the levels (docs/alerts.md)
    health = health_cache(request.app)
    for card in body["sensors"]:
        checked = health.get(store, registry, settings, card["sensor_id"], now_s=now)
        card["now"]["uncertain"] = levels_doubtful(checked)
    # public trials, one plain line each with its uncertainty (api/views/trials.py; docs/trials.md)
    body["trials"] = trial_view.public_trial_lines(store, registry, settings, residents.cache, lang)
    return JSONResponse(body, headers=NO_STORE)


@router.get("/sensors/{sensor_id}", summary="One public sensor: 24 h per minute, 30 days of Lden, events")
def sensor(
    residents: ResidentsDep, registry: RegistryDep, sensor_id: str = SensorId, lang: LangQuery = DEFAULT
) -> JSONResponse:
    body = residents.detail(_public_sensor(registry, sensor_id), now_s=time.time(), lang=lang)
    return JSONResponse(body, headers=NO_STORE)


def _stream_slot(request: Request) -> Slot | JSONResponse:
    """A live-stream slot for this client, or the problem answer (503 all taken, 429 this client's)."""
    state = request.app.state
    slots = getattr(state, "stream_slots", None)
    if slots is None:
        settings = state.settings
        slots = state.stream_slots = StreamSlots(settings.live_streams_max, settings.live_streams_per_client)
    slot = slots.acquire(request.client.host if request.client else "unknown")
    if slot == "total":
        return problem(503, "Too many streams", "too many live streams open; try again shortly")
    if slot == "client":
        detail = f"at most {slots.per_client} live streams at once per client address; close one first"
        refused = problem(429, "Too many streams from this client", detail)
        refused.headers["Retry-After"] = "5"
        return refused
    assert isinstance(slot, Slot)
    return slot


class _CountedStream(StreamingResponse):
    """A streaming response that gives its slot back however it ends, even when the body never starts
    (a client that leaves before the first byte)."""

    def __init__(self, content: Any, release: Callable[[], None], **kw: Any) -> None:
        super().__init__(content, **kw)
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get("/stream", summary="Server-sent events: new levels now of public sensors as readings arrive")
async def stream(
    request: Request,
    residents: ResidentsDep,
    registry: RegistryDep,
    lang: LangQuery = DEFAULT,
    sensor: Annotated[str | None, Query(pattern=SENSOR_RE, description="Only this sensor")] = None,
) -> Any:
    slot = _stream_slot(request)
    if isinstance(slot, JSONResponse):
        return slot
    try:
        sensors = await run_in_threadpool(registry.list_sensors, public_only=True)
        if sensor is not None:
            sensors = [s for s in sensors if s.sensor_id == sensor]
            if not sensors:
                raise UnknownSensor(f"no public sensor {sensor!r}")
    except BaseException:
        slot.release()
        raise

    async def events() -> Any:
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
            slot.release()  # the stream ended (time limit, client left)

    headers = {**NO_STORE, "X-Accel-Buffering": "no"}
    return _CountedStream(events(), slot.release, media_type="text/event-stream", headers=headers)


@router.get("/map", summary="The map's tile server (URL template) and its attribution, as plain text")
def map_config(settings: SettingsDep) -> JSONResponse:
    body = {
        "tile_url": settings.map_tile_url,
        "attribution": settings.map_tile_attribution,
        "max_zoom": settings.map_max_zoom,
    }
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
