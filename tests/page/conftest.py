"""A running noiselab for the browser tests: Mosquitto -> collector -> SQLite -> API served by uvicorn,
two public sensors (and one private) with a day and a half of history, and Debian's chromium.

History is written to the store directly (it stands for what was collected earlier); the readings the tests
watch arrive through the real broker and collector.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import uvicorn

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig, MqttTarget, make_client
from noiselab.ingest.simulator import HOURLY_BASE_DB
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, free_port, require_binary, wait_until

TZ = "Europe/Copenhagen"
STEP_S = 10
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SENSORS = [
    Sensor(
        "t-001",
        name="Vallensbæk Strandvej",
        vendor="acme",
        lat=55.6238,
        lon=12.3862,
        area_category="housing",
        target_profile="dk-road-housing",
        public=True,
        placed=True,
        interval_s=1.0,
    ),
    Sensor(
        "t-002",
        name="Ishøj Strandpark",
        vendor="acme",
        lat=55.6139,
        lon=12.3575,
        area_category="recreation",
        public=True,
        placed=True,
        interval_s=1.0,
    ),
    Sensor("t-private", name="Not for the public", lat=55.66, lon=12.40, public=False, placed=True),
]  # fmt: skip (vendor acme owns the public sensors: the tests publish as acme, see ingest.ownership)


def history(sensor_id: str, offset_db: float, *, end_s: int, seed: int) -> list[Reading]:
    """10-s readings from local midnight the day before ``end_s`` until ``end_s``: the simulator's daily
    curve plus noise, and (for t-001) three loud events above 70 dB in the small hours of last night."""
    zone = ZoneInfo(TZ)
    local = datetime.fromtimestamp(end_s, zone)
    start = datetime.combine(local.date() - timedelta(days=1), datetime.min.time(), tzinfo=zone)
    t = np.arange(int(start.timestamp()), end_s - STEP_S, STEP_S)
    hours = np.array([datetime.fromtimestamp(x, zone).hour for x in t[::360]]).repeat(360)[: t.size]
    rng = np.random.default_rng(seed)
    lv = HOURLY_BASE_DB[hours] + offset_db + rng.normal(0, 2.0, t.size)
    if sensor_id == "t-001":
        night = datetime.combine(local.date() - timedelta(days=0 if local.hour >= 7 else 1),
                                 datetime.min.time(), tzinfo=zone).timestamp()  # fmt: skip
        for k in range(3):
            i = np.searchsorted(t, night + 2 * 3600 + k * 600)
            lv[i : i + 2] = 78.0
    return [
        Reading(sensor_id, int(a) * 1000, float(STEP_S), round(float(b), 1))
        for a, b in zip(t, lv, strict=True)
    ]


@dataclass
class LiveNoiselab:
    url: str
    mqtt_url: str
    store: SqliteStore

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        client = make_client(
            CollectorConfig(url=self.mqtt_url), client_id="page-test-publisher", manual_ack=False
        )
        target = MqttTarget.parse(self.mqtt_url)
        client.connect(target.host, target.port)
        client.loop_start()
        client.publish(topic, json.dumps(body).encode(), qos=1).wait_for_publish(10)
        client.loop_stop()
        client.disconnect()


@pytest.fixture
def noiselab(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[LiveNoiselab]:
    import time

    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    for s in SENSORS:
        registry.upsert_sensor(s)
    end_s = int(time.time()) - 120
    store.write(history("t-001", 0.0, end_s=end_s, seed=1))
    store.write(history("t-002", -6.0, end_s=end_s, seed=2))
    collector = Collector(
        CollectorConfig(url=mosquitto.url, client_id="page-collector", batch_wait_s=0.05), store, registry
    )
    collector.start()
    settings = Settings(data_dir=tmp_path)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store, registry, collector=collector),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=15, what="uvicorn to start")
    try:
        yield LiveNoiselab(f"http://127.0.0.1:{port}", mosquitto.url, store)
    finally:
        server.should_exit = True
        thread.join(15)
        collector.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = require_binary("chromium", "/usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api") if not _in_ci() else _import_playwright()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield browser
        browser.close()


def _in_ci() -> bool:
    from tests.services import IN_CI

    return IN_CI


def _import_playwright() -> Any:
    import playwright.sync_api

    return playwright.sync_api


@pytest.fixture
def artifacts() -> Path:
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    return out
