"""The residents' pages refetch their data (every minute, and when the tab becomes visible), so a page opened
while history is still arriving (the demo backfill, a late sensor) fills in without a reload (#19).

Debian's chromium against a running noiselab (tests/page/conftest.py). History is written to the store
directly, so the live stream, which carries only the level now, cannot be what fills in last night's
sentence or the 30-day chart: the refetch is. The browser's clock is Playwright's, moved on by a minute
instead of waiting one; the server's short cache of unfinished days (10 s) is waited out by polling it.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from noiselab.store.registry import Sensor, SqliteRegistry
from tests.page.conftest import LiveNoiselab, history
from tests.services import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.mqtt]

WAIT_MS = 20_000
MINUTE_MS = 61_000
NO_NIGHT = "Ingen målinger fra sidste nat."
# counts live streams opened and marks the document, so a reload or a reconnect would show
PROBE = """
window.__streams = 0;
const Original = window.EventSource;
window.EventSource = class extends Original {
  constructor(...args) { super(...args); window.__streams += 1; }
};
"""


@pytest.fixture
def registry(noiselab: LiveNoiselab, tmp_path: Path) -> Iterator[SqliteRegistry]:
    reg = SqliteRegistry(tmp_path / "registry.db")  # the running noiselab's registry, a second connection
    yield reg
    reg.close()


def _place(registry: SqliteRegistry, sensor_id: str, name: str) -> None:
    registry.upsert_sensor(
        Sensor(sensor_id, name=name, vendor="acme", lat=55.62, lon=12.37, area_category="housing",
               public=True, placed=True, interval_s=1.0)
    )  # fmt: skip


def _public(noiselab: LiveNoiselab, path: str) -> Any:
    with urllib.request.urlopen(noiselab.url + path, timeout=10) as answer:
        return json.loads(answer.read())


def _backfill(noiselab: LiveNoiselab, sensor_id: str) -> None:
    """Last night and yesterday for ``sensor_id`` straight into the store; returns once the server says so
    (its cache keeps a day without data for 10 s)."""
    noiselab.store.write(history(sensor_id, -3.0, end_s=int(time.time()) - 120, seed=7))

    def served() -> bool:
        card = next(
            c
            for c in _public(noiselab, "/v1/public/overview?lang=da")["sensors"]
            if c["sensor_id"] == sensor_id
        )
        return str(card["summary"]).startswith("Sidste nat var")

    wait_until(served, timeout_s=30, what=f"the server to see {sensor_id}'s night")


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    page = ctx.new_page()
    page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
    page.add_init_script(PROBE)
    page.clock.install()  # time runs as usual until the test moves it on
    yield page
    ctx.close()


def test_the_overview_fills_in_without_a_reload(noiselab: LiveNoiselab, registry: SqliteRegistry, page: Any):
    from playwright.sync_api import expect

    _place(registry, "t-003", "Brøndby Strand")
    page.goto(noiselab.url + "/")
    summary = page.locator('#sensors [data-sensor="t-003"] [data-role=summary]')
    expect(summary).to_have_text(
        f"{NO_NIGHT} Der er ikke målinger nok fra i går til en døgnværdi.", timeout=WAIT_MS
    )
    expect(page.locator("#live-status")).to_have_text("Opdateres løbende", timeout=WAIT_MS)
    page.evaluate("window.__same_document = true")
    streams = page.evaluate("window.__streams")

    _backfill(noiselab, "t-003")
    expect(summary).to_have_text(
        NO_NIGHT + " Der er ikke målinger nok fra i går til en døgnværdi."
    )  # not yet
    page.clock.fast_forward(MINUTE_MS)
    expect(summary).to_contain_text("Sidste nat var", timeout=WAIT_MS)
    expect(summary).to_contain_text("I går var døgnets støj (Lden)")
    assert page.evaluate("window.__same_document") is True  # no reload
    assert page.evaluate("window.__streams") == streams  # the live stream was left alone
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(3, timeout=WAIT_MS)

    # a place made public meanwhile appears when the tab becomes visible again, without waiting a minute
    _place(registry, "t-004", "Hundige Havn")
    page.clock.fast_forward(6_000)  # past the smallest gap between two refetches, short of the next minute
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
        "delete document.visibilityState;"  # back to the real one: visible
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    expect(page.locator('#sensors [data-sensor="t-004"]')).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#sensors > li")).to_have_count(4)
    assert page.evaluate("window.__same_document") is True
    assert page.evaluate("window.__streams") == streams


def test_the_sensor_page_fills_in_without_a_reload(
    noiselab: LiveNoiselab, registry: SqliteRegistry, page: Any
):
    from playwright.sync_api import expect

    _place(registry, "t-005", "Strandparken")
    page.goto(noiselab.url + "/sensors/t-005")
    expect(page.locator("#sensor-name")).to_have_text("Strandparken", timeout=WAIT_MS)
    summary = page.locator("#sensors li [data-role=summary]")
    expect(summary).to_contain_text(NO_NIGHT, timeout=WAIT_MS)
    expect(page.locator("#chart30 svg")).to_have_count(1)
    assert page.locator("#chart30 svg rect").count() == 0  # no day has data yet
    page.evaluate("window.__same_document = true")
    streams = page.evaluate("window.__streams")

    _backfill(noiselab, "t-005")
    page.clock.fast_forward(MINUTE_MS)
    expect(summary).to_contain_text("Sidste nat var", timeout=WAIT_MS)
    expect(page.locator("#chart30 svg rect")).not_to_have_count(0, timeout=WAIT_MS)  # yesterday's bar
    line = page.locator("#chart24 path.line").get_attribute("d") or ""
    assert line.count("L") > 100  # the last 24 hours drawn from the backfilled readings
    assert page.evaluate("window.__same_document") is True
    assert page.evaluate("window.__streams") == streams
