"""The residents' pages: ``/`` (map and list), ``/sensors/{id}`` (one place), ``/embed/{id}`` (the widget).

Static HTML, CSS and our own JavaScript from ``api/static``, and Leaflet 1.9.4 vendored into
``api/static/vendor/leaflet`` (with its licence): no CDN, so residents' addresses reach no third party but
the tile server. The data comes from ``/v1/public/*``, the map's tile server and attribution from
``/v1/public/map`` (settings ``map_tile_url``, ``map_tile_attribution``). Pages set a content security policy
that allows this origin and, for images only, the configured tile server. The widget sets no cookie and may
be framed by any site; the other pages only by this origin.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from noiselab.api.catalog import Lang, page_script
from noiselab.api.deps import RegistryDep, SettingsDep

router = APIRouter(tags=["residents"], include_in_schema=False)

ASSETS = {
    "app.js": "text/javascript",
    "sensor.js": "text/javascript",
    "embed.js": "text/javascript",
    "trials.js": "text/javascript",
    "i18n.js": "text/javascript",
    "style.css": "text/css",
    "vendor/leaflet/leaflet.js": "text/javascript",
    "vendor/leaflet/leaflet.css": "text/css",
    "vendor/leaflet/LICENSE": "text/plain",
    **{f"vendor/leaflet/images/{n}.png": "image/png" for n in ("layers", "layers-2x", "marker-icon",
                                                                  "marker-icon-2x", "marker-shadow")},
}  # fmt: skip
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)


def tile_origin(tile_url: str) -> str:
    """The CSP source of a tile URL template: its origin, ``{s}`` subdomains as a wildcard; empty for a
    path on this origin. The settings pattern already keeps quotes, semicolons and spaces out."""
    parts = urlsplit(tile_url)
    if not parts.scheme:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str, *, framable: bool = False) -> str:
    origin = tile_origin(tile_url)
    return CSP.format(tiles=f" {origin}" if origin else "", ancestors="*" if framable else "'self'")


SensorId = Path(pattern=r"^[A-Za-z0-9._-]{1,64}$")


STATIC_DIR = FsPath(__file__).resolve().parent.parent / "static"


def _static(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _page(name: str, tile_url: str, *, framable: bool = False, status: int = 200) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": content_security_policy(tile_url, framable=framable),
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(_static(name), status_code=status, headers=headers)


# The pages read ``?lang=`` in the browser (app.js); it is declared here so that strict query strings
# (api/strict.py) accept it, and an unknown language is a 422 like everywhere else.
PageLang = Annotated[Lang | None, Query(description="Language of the page (else the browser's choice)")]


@router.get("/", response_class=HTMLResponse)
def index(settings: SettingsDep, lang: PageLang = None) -> HTMLResponse:
    return _page("index.html", settings.map_tile_url)


@router.get("/sensors/{sensor_id}", response_class=HTMLResponse)
def sensor_page(
    registry: RegistryDep, settings: SettingsDep, sensor_id: str = SensorId, lang: PageLang = None
) -> HTMLResponse:
    sensor = registry.get_sensor(sensor_id)
    ok = sensor is not None and sensor.public and not sensor.retired
    return _page("sensor.html", settings.map_tile_url, status=200 if ok else 404)


@router.get("/embed/{sensor_id}", response_class=HTMLResponse)
def embed(
    registry: RegistryDep, settings: SettingsDep, sensor_id: str = SensorId, lang: PageLang = None
) -> HTMLResponse:
    sensor = registry.get_sensor(sensor_id)
    ok = sensor is not None and sensor.public and not sensor.retired
    return _page("embed.html", settings.map_tile_url, framable=True, status=200 if ok else 404)


@router.get("/static/{name:path}")
def asset(name: str) -> Response:
    if name not in ASSETS:  # an allow-list: no path from the request reaches the file system
        return Response(status_code=404)
    path = STATIC_DIR / name
    if name == "i18n.js":  # the page's strings, generated from the language catalogs (api/catalogs/)
        body: str | bytes = page_script()
    else:
        body = path.read_bytes() if ASSETS[name] == "image/png" else path.read_text(encoding="utf-8")
    return Response(
        body,
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
