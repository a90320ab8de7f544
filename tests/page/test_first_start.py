"""The first five minutes: ``noiselab up`` with simulated sensors, from a clean data directory, as
``scripts/up`` starts it. Within a minute the residents' page (in Debian's chromium) shows last night's value
and a filled 30-day chart, because the history is published first through MQTT and the collector. A restart
publishes nothing twice. The screenshot in the README (docs/img/residents.png) is taken here, so it stays
current."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import free_port, poll, wait_port

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
NOISELAB = str(Path(sys.executable).with_name("noiselab"))
SCREENSHOT = ROOT / "docs" / "img" / "residents.png"
MINUTE_MS = 60_000


class Up:
    """``noiselab up`` in a subprocess, with its JSON log lines collected from a file."""

    def __init__(self, data_dir: Path, http_port: int, broker_port: int) -> None:
        self.log = data_dir.parent / f"up-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOISELAB_")}
        env |= {
            "NOISELAB_DATA_DIR": str(data_dir),
            "NOISELAB_HTTP_PORT": str(http_port),
            "NOISELAB_EMBEDDED_BROKER_PORT": str(broker_port),
            "NOISELAB_SIMULATE": "3",
            "NOISELAB_LOG_FORMAT": "json",
        }
        self._out = self.log.open("w")
        self.proc = subprocess.Popen([NOISELAB, "up"], env=env, stderr=self._out, stdout=subprocess.DEVNULL)

    def messages(self) -> list[str]:
        return [json.loads(line)["msg"] for line in self.log.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self._out.close()


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Up, str, Path]]:
    data = tmp_path / "data"
    http_port, broker_port = free_port(), free_port()
    up = Up(data, http_port, broker_port)
    try:
        wait_port(http_port, timeout_s=30)
        yield up, f"http://127.0.0.1:{http_port}", data
    finally:
        if up.proc.poll() is None:
            up.stop()


def _readings(data: Path) -> int:
    with sqlite3.connect(data / "noise.db") as db:
        return int(db.execute("SELECT count(*) FROM readings").fetchone()[0])


def test_a_fresh_start_shows_last_night_and_30_days_within_a_minute(
    started: tuple[Up, str, Path], chromium: Any
) -> None:
    from playwright.sync_api import expect

    up, url, data = started
    began = time.monotonic()
    ctx = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="da-DK", timezone_id="Europe/Copenhagen"
    )
    try:
        page = ctx.new_page()
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(url + "/")  # answers at once, while the history is still arriving
        first = page.locator('#sensors [data-sensor="sim-001"]')

        def last_night_shown() -> bool:
            """The card's summary once drawn; a person reloads the page to see it fill in."""
            expect(first.locator("[data-role=summary]")).not_to_have_text("", timeout=MINUTE_MS)
            if "Sidste nat var" in (first.locator("[data-role=summary]").text_content() or ""):
                return True
            page.reload()
            return False

        poll(last_night_shown, 60, "last night's value on the overview", 2.0)
        expect(first.locator('[data-role="level"]')).to_have_text(re.compile(r"^\d+ dB$"), timeout=MINUTE_MS)
        page.goto(url + "/sensors/sim-001")

        def days_in_chart(n: int) -> bool:
            """Whether the drawn chart has ``n`` days; else load the page again (drawn once per view)."""
            expect(page.locator("#chart30 svg")).to_be_visible(timeout=MINUTE_MS)
            if page.locator("#chart30 rect").count() >= n:
                return True
            page.reload()
            return False

        # the newest days land first; most of the week is on the chart within the minute
        poll(lambda: days_in_chart(5), max(5.0, 60 - (time.monotonic() - began)), "5 days in the chart", 2.0)
        expect(page.locator("#events tbody tr")).not_to_have_count(0)
        assert time.monotonic() - began < 60, "the page took more than a minute to fill in"

        # the README's picture of what residents see: the overview once the history has landed
        poll(lambda: any("history published" in m for m in up.messages()), 120, "the whole history")
        poll(lambda: days_in_chart(7), 30, "the whole week in the 30-day chart", 2.0)
        page.goto(url + "/")
        expect(first.locator("[data-role=summary]")).to_contain_text("Sidste nat var", timeout=MINUTE_MS)
        expect(page.locator("#live-status")).to_have_text("Opdateres løbende", timeout=MINUTE_MS)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    finally:
        ctx.close()

    # a restart publishes no history twice: the spans already published are remembered
    up.stop()
    before = _readings(data)
    assert before >= 3 * 7 * 86400 * 0.99  # seven days of 1-s readings for three sensors
    spans = json.loads((data / "simulator-history.json").read_text())["spans"]
    assert len(spans) == 1 and spans[0][1] - spans[0][0] >= 7 * 86400
    again = Up(data, free_port(), free_port())
    try:
        poll(lambda: any("history" in m for m in again.messages()), 60, "the restart's history line")
        said = next(m for m in again.messages() if "history" in m)
        # only the seconds between the two runs are missing: one short chunk, or nothing at all
        assert said.endswith("(newest first, 1 hours)") or "already published" in said, said
    finally:
        again.stop()
    # only the minutes between the two runs (live readings and at most one short gap) were added
    assert _readings(data) - before < 3 * 3600
