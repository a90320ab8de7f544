"""The residents' page in Debian's chromium against a running noiselab (Mosquitto, collector, SQLite,
uvicorn).

External requests (OpenStreetMap tiles; Leaflet is served by noiselab itself) are blocked, so traffic stays
on loopback and the page must stay usable without the tiles. Every wait is bounded and waits for a
condition, never a sleep.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.page.conftest import LiveNoiselab

pytestmark = [pytest.mark.browser, pytest.mark.mqtt]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 20_000

CONTRAST_JS = """els => els.map(e => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = c => { const [r, g, b] = c.map(lin); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const st = getComputedStyle(e); const a = lum(rgb(st.color)), b = lum(rgb(st.backgroundColor));
  return [e.textContent, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
})"""


@dataclass
class Watched:
    """A page whose console errors and failed requests are recorded, with non-loopback requests blocked."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors and failed requests, except those we cause on purpose: blocked external hosts, and
        live streams and tile images the page drops itself (on a language switch or when leaving:
        net::ERR_ABORTED)."""
        own = [
            e
            for e in self.failed
            if ("/v1/public/stream?" in e or "https://tile.openstreetmap.org/" in e)
            and e.endswith("net::ERR_ABORTED")
        ]
        return [
            e for e in self.errors + self.failed if e not in own and not any(b in e for b in self.blocked)
        ]


def _local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost") or url.startswith(("data:", "about:"))


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(viewport=DESKTOP, locale="da-DK", timezone_id="Europe/Copenhagen")
    yield ctx
    ctx.close()


def watch(ctx: Any) -> Watched:
    page = ctx.new_page()
    w = Watched(page)

    def route(r: Any) -> None:
        if _local(r.request.url):
            r.continue_()
        else:
            w.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda m: w.errors.append(f"{m.text} @ {m.location.get('url')}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: w.errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: w.failed.append(f"failed: {r.url} {r.failure}"))
    return w


def card(page: Any, sensor_id: str, role: str) -> Any:
    return page.locator(f'#sensors [data-sensor="{sensor_id}"] [data-role="{role}"]')


def test_overview_shows_sensors_updates_live_and_switches_language(
    noiselab: LiveNoiselab, context: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    w = watch(context)
    page = w.page
    page.goto(noiselab.url + "/")
    expect(page.locator("h1")).to_have_text("Hvor højt er der, hvor du bor?")
    assert page.locator("html").get_attribute("lang") == "da"
    expect(page.locator("#sensors > li")).to_have_count(2, timeout=WAIT_MS)  # the private sensor is not shown
    for sid in ("t-001", "t-002"):
        expect(card(page, sid, "level")).to_have_text(re.compile(r"^\d+ dB$"), timeout=WAIT_MS)
    first = page.locator('#sensors [data-sensor="t-001"]')
    expect(first.locator("h2")).to_have_text("Vallensbæk Strandvej")
    expect(first.locator("[data-role=summary]")).to_contain_text("Sidste nat var")
    expect(first.locator("[data-role=summary]")).to_contain_text("3 høje hændelser over 70 dB")
    expect(first.locator("[data-role=summary]")).to_contain_text("målet for boliger (58 dB)")
    expect(page.locator('#sensors [data-sensor="t-002"] .target')).to_contain_text("Lden 53 dB")
    expect(card(page, "t-001", "band")).not_to_have_text("")
    expect(page.locator("#live-status")).to_have_text("Opdateres løbende", timeout=WAIT_MS)
    # Leaflet is ours (no CDN): the map and its markers appear even with external hosts blocked; only the
    # tile images (the configured tile server) are asked for outside this origin
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(2, timeout=WAIT_MS)

    # contrast of the band badges' text (WCAG AA: 4.5)
    for text, ratio in page.locator(".legend .badge").evaluate_all(CONTRAST_JS):
        assert ratio >= 4.5, f"badge {text!r} contrast {ratio:.2f}"

    # live: a reading published to Mosquitto shows up without a reload
    page.evaluate("window.__same_document = true")
    before = card(page, "t-001", "level").text_content()
    noiselab.publish("noise/acme/t-001/levels", {"ts": int(time.time()) - 1, "interval_s": 1, "laeq": 88.0})
    expect(card(page, "t-001", "level")).to_have_text("88 dB", timeout=WAIT_MS)
    assert before != "88 dB"
    expect(card(page, "t-001", "band")).to_have_text("Langt over målet")
    assert page.evaluate("window.__same_document") is True
    page.screenshot(path=str(artifacts / "overview-desktop-da.png"), full_page=True)

    # language switch, reachable with the keyboard
    page.locator("body").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "lang-switch":
            break
    assert page.evaluate("document.activeElement.id") == "lang-switch", (
        "Tab never reached the language switch"
    )
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("How loud is it where you live?")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(first.locator("[data-role=summary]")).to_contain_text("Last night was", timeout=WAIT_MS)
    expect(first.locator("[data-role=summary]")).to_contain_text("3 loud events above 70 dB")
    expect(page.locator("#lang-switch")).to_have_text("Dansk")
    expect(card(page, "t-001", "band")).to_have_text("Far above the target", timeout=WAIT_MS)

    # the choice is remembered
    page.reload()
    expect(page.locator("h1")).to_have_text("How loud is it where you live?")
    expect(card(page, "t-001", "level")).to_have_text("88 dB", timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "overview-desktop-en.png"), full_page=True)
    assert w.blocked, "the page did not even try the map (expected blocked tile requests)"
    assert all(urlparse(u).hostname == "tile.openstreetmap.org" for u in w.blocked), w.blocked
    assert w.problems() == []


def test_overview_on_a_phone(noiselab: LiveNoiselab, chromium: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    ctx = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        w = watch(ctx)
        w.page.goto(noiselab.url + "/")
        expect(card(w.page, "t-002", "level")).to_contain_text(" dB", timeout=WAIT_MS)
        expect(w.page.locator("#live-status")).to_have_text("Opdateres løbende", timeout=WAIT_MS)
        assert w.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "sideways scrolling"
        w.page.screenshot(path=str(artifacts / "overview-phone-da.png"), full_page=True)
        w.page.goto(noiselab.url + "/sensors/t-001")
        expect(w.page.locator("#chart24 svg")).to_be_visible(timeout=WAIT_MS)
        assert w.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "sideways scrolling"
        w.page.screenshot(path=str(artifacts / "sensor-phone-da.png"), full_page=True)
        assert w.problems() == []
    finally:
        ctx.close()


def test_sensor_page_explains_the_numbers(noiselab: LiveNoiselab, context: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    w = watch(context)
    page = w.page
    page.goto(noiselab.url + "/sensors/t-001")
    expect(page.locator("h1")).to_have_text("Vallensbæk Strandvej", timeout=WAIT_MS)
    chart = page.locator("#chart24 svg[role=img]")
    expect(chart).to_have_attribute("aria-label", re.compile("Højeste minut"))
    assert page.locator("#chart24 path.line").get_attribute("d")
    assert page.locator("#chart24 path.target").get_attribute("d")
    expect(page.locator("#chart30 rect")).not_to_have_count(0)
    expect(page.locator("#events tbody tr")).not_to_have_count(0)
    expect(page.locator("#explain")).to_contain_text("Lden")
    expect(page.locator("#explain")).to_contain_text("10 dB ekstra")
    expect(page.locator("#explain")).to_contain_text("Miljøstyrelsen")
    expect(page.locator("#coverage24")).to_contain_text("%")
    noiselab.publish("noise/acme/t-001/levels", {"ts": int(time.time()) - 1, "interval_s": 1, "laeq": 91.0})
    expect(card(page, "t-001", "level")).to_have_text("91 dB", timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "sensor-desktop-da.png"), full_page=True)
    page.goto(noiselab.url + "/sensors/t-private")
    expect(page.locator("h1")).to_have_text(
        "Målestedet findes ikke eller er ikke offentligt.", timeout=WAIT_MS
    )
    problems = [
        p for p in w.problems() if "/t-private" not in p
    ]  # the 404s of the private sensor are expected
    assert problems == []


def test_embed_widget_can_be_framed_without_cookies(
    noiselab: LiveNoiselab, context: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    w = watch(context)
    page = w.page
    resp = page.goto(noiselab.url + "/embed/t-002?lang=en")
    assert resp.status == 200
    assert "x-frame-options" not in resp.headers
    assert "frame-ancestors *" in resp.headers["content-security-policy"]
    assert "set-cookie" not in resp.headers
    expect(page.locator("h1")).to_have_text("Ishøj Strandpark", timeout=WAIT_MS)
    expect(card(page, "t-002", "level")).to_contain_text(" dB", timeout=WAIT_MS)
    src = f"{noiselab.url}/embed/t-001"
    html = f'<html><body><iframe title="noise" src="{src}" width="360" height="340"></iframe></body></html>'
    page.goto(noiselab.url + "/static/style.css")  # any loopback document, so the frame is cross-document
    page.set_content(html)
    frame = page.frame_locator("iframe")
    expect(frame.locator('[data-role="level"]')).to_contain_text(" dB", timeout=WAIT_MS)
    expect(frame.locator("[data-role=summary]")).to_contain_text("Sidste nat")
    page.screenshot(path=str(artifacts / "embed-in-iframe.png"))
    assert context.cookies() == []
    assert page.evaluate("document.cookie") == ""
    assert w.problems() == []
