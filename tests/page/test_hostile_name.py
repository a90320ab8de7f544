"""Issue #13, the residents' page: a sensor name is rendered as text everywhere (list, map tooltip), Leaflet
is served by us, and the CSP allows this origin plus the configured tile server only. In Debian's chromium.

Before the fix the tooltip took the name as HTML, and the CSP allowed all of unpkg.com.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import uvicorn

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import free_port, wait_until

pytestmark = [pytest.mark.browser]

WAIT_MS = 20_000
HOSTILE = (
    '<img src=x onerror="window.__pwned=1"><iframe srcdoc="<script>parent.__pwned=2</script>"></iframe>'
    "<b>bold</b>&amp;"
)
TILES = "https://{s}.tiles.example.dk/{z}/{x}/{y}.png"
ATTRIBUTION = '<img src=x onerror="window.__pwned=3">© Kommunen'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    registry.upsert_sensor(
        Sensor("h-1", name=HOSTILE, lat=55.62, lon=12.38, public=True, placed=True, interval_s=10.0)
    )
    now_s = int(time.time())
    store.write([Reading("h-1", (now_s - 600 + 10 * i) * 1000, 10.0, 60.0 + i % 5) for i in range(55)])
    settings = Settings(data_dir=tmp_path, map_tile_url=TILES, map_tile_attribution=ATTRIBUTION)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store, registry),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=15, what="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        store.close()
        registry.close()


def test_a_hostile_sensor_name_is_text_in_the_list_and_the_map_tooltip(served: str, chromium: Any) -> None:
    from playwright.sync_api import expect

    ctx = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="da-DK")
    page = ctx.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if urlparse(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        response = page.goto(served + "/")
        csp = response.headers["content-security-policy"]
        assert "unpkg" not in csp and "https://*.tiles.example.dk" in csp
        assert "script-src 'self';" in csp and "style-src 'self';" in csp

        expect(page.locator("#sensors > li")).to_have_count(1, timeout=WAIT_MS)
        expect(page.locator('#sensors [data-sensor="h-1"] h2')).to_have_text(HOSTILE)

        marker = page.locator("#map path.leaflet-interactive")
        expect(marker).to_have_count(1, timeout=WAIT_MS)  # Leaflet came from us, not from a CDN
        marker.hover()
        tooltip = page.locator(".leaflet-tooltip")
        expect(tooltip).to_be_visible(timeout=WAIT_MS)
        expect(tooltip).to_contain_text(HOSTILE + ": ")
        assert tooltip.locator("img, iframe, b").count() == 0
        attribution = page.locator(".leaflet-control-attribution")
        expect(attribution).to_contain_text(ATTRIBUTION)
        assert attribution.locator("img").count() == 0

        assert page.locator("iframe").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert errors == []
        # only the tile server was asked for anything outside this origin
        assert outside and all(urlparse(u).hostname.endswith(".tiles.example.dk") for u in outside)
    finally:
        ctx.close()


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("content-type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


def test_leaflet_is_served_from_the_package_with_its_licence(served: str) -> None:
    for path, kind in [
        ("/static/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/static/vendor/leaflet/leaflet.css", "text/css"),
        ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
        ("/static/vendor/leaflet/LICENSE", "text/plain"),
    ]:
        status, content_type, _ = _get(served + path)
        assert status == 200 and content_type.startswith(kind), path
    assert b"BSD 2-Clause License" in _get(served + "/static/vendor/leaflet/LICENSE")[2]
    for path in (
        "/static/vendor/leaflet/%2e%2e/%2e%2e/routes/page.py",
        "/static/vendor/leaflet/leaflet-src.js",
    ):
        assert _get(served + path)[0] == 404, path
    tiles = json.loads(_get(served + "/v1/public/map")[2])
    assert tiles == {"tile_url": TILES, "attribution": ATTRIBUTION, "max_zoom": 18}
