"""The residents' pages: ``/`` (map and list), ``/sensors/{id}`` (one place), ``/embed/{id}`` (the widget).

Static HTML, CSS and our own JavaScript from ``api/static``; the data comes from ``/v1/public/*``. Pages set
a content security policy that allows only this origin plus the pinned Leaflet build and OpenStreetMap
tiles. The widget sets no cookie and may be framed by any site; the other pages only by this origin.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response

from noiselab.api.deps import RegistryDep

router = APIRouter(tags=["residents"], include_in_schema=False)

ASSETS = {
    "app.js": "text/javascript",
    "sensor.js": "text/javascript",
    "embed.js": "text/javascript",
    "i18n.js": "text/javascript",
    "style.css": "text/css",
}
CSP = (
    "default-src 'self'; script-src 'self' https://unpkg.com; style-src 'self' https://unpkg.com; "
    "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
SensorId = Path(pattern=r"^[A-Za-z0-9._-]{1,64}$")


STATIC_DIR = FsPath(__file__).resolve().parent.parent / "static"


def _static(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _page(name: str, *, framable: bool = False, status: int = 200) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CSP.format(ancestors="*" if framable else "'self'"),
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(_static(name), status_code=status, headers=headers)


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return _page("index.html")


@router.get("/sensors/{sensor_id}", response_class=HTMLResponse)
def sensor_page(registry: RegistryDep, sensor_id: str = SensorId) -> HTMLResponse:
    sensor = registry.get_sensor(sensor_id)
    return _page("sensor.html", status=200 if sensor is not None and sensor.public else 404)


@router.get("/embed/{sensor_id}", response_class=HTMLResponse)
def embed(registry: RegistryDep, sensor_id: str = SensorId) -> HTMLResponse:
    sensor = registry.get_sensor(sensor_id)
    return _page("embed.html", framable=True, status=200 if sensor is not None and sensor.public else 404)


@router.get("/static/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        return Response(status_code=404)
    return Response(
        _static(name),
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
