"""The residents' page says "målingerne er usikre lige nu" ("the measurements are uncertain right now") on the
card of a public sensor whose health checks doubt its levels (#15; here: frozen readings, the same 50.0 dB
for two hours), and not on a healthy sensor's card; Danish and English, served by uvicorn to Debian's
chromium (the ``chromium`` fixture of this folder)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from playwright.sync_api import expect

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import free_port, wait_until

pytestmark = pytest.mark.browser

CATALOGS = Path(__file__).resolve().parents[2] / "api" / "catalogs"
WAIT_MS = 15_000
STEP_S = 10


def uncertain(lang: str) -> str:
    return str(json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))["page"]["uncertain"])


def two_hours(sensor_id: str, levels_db: np.ndarray, end_s: int) -> list[Reading]:
    starts = np.arange(end_s - STEP_S * levels_db.size, end_s, STEP_S)
    return [
        Reading(sensor_id, int(t) * 1000, float(STEP_S), float(v))
        for t, v in zip(starts, levels_db, strict=True)
    ]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    store, reg = SqliteStore(tmp_path / "noise.db"), SqliteRegistry(settings.registry_path)
    end_s = int(time.time()) - 30  # both sensors are live: the last reading ended half a minute ago
    n = 2 * 3600 // STEP_S
    store.write(two_hours("vb-frozen", np.full(n, 50.0), end_s))  # a stuck microphone
    varied = np.round(55.0 + np.random.default_rng(7).normal(0.0, 3.0, n), 1)
    store.write(two_hours("vb-ok", varied, end_s))
    for sid, name, lon in (("vb-frozen", "Torvevej", 12.38), ("vb-ok", "Strandvej", 12.40)):
        reg.upsert_sensor(Sensor(sid, name=name, lat=55.62, lon=lon, public=True, placed=True, interval_s=10))
    port = free_port()
    app = create_app(settings, store, reg)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=15, what="uvicorn to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)
    store.close()
    reg.close()


def test_a_frozen_sensor_is_marked_uncertain_and_a_healthy_one_is_not(site: str, chromium: Any) -> None:
    assert uncertain("da").lower() == "målingerne er usikre lige nu"
    page = chromium.new_page()
    page.goto(site + "/")  # Danish by default
    frozen = page.locator('#sensors [data-sensor="vb-frozen"] [data-role="meta"]')
    healthy = page.locator('#sensors [data-sensor="vb-ok"] [data-role="meta"]')
    expect(frozen).to_contain_text(uncertain("da"), timeout=WAIT_MS)
    expect(healthy).not_to_be_empty(timeout=WAIT_MS)
    assert uncertain("da") not in healthy.inner_text()
    assert page.locator('#sensors [data-sensor="vb-frozen"]').get_attribute("data-uncertain") == "1"

    page.click("#lang-switch")
    expect(frozen).to_contain_text(uncertain("en"), timeout=WAIT_MS)
    assert uncertain("en") not in healthy.inner_text() and uncertain("da") not in frozen.inner_text()
    page.close()
