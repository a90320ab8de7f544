from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from noiselab.api.alerting.evaluator import Evaluator
from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.alerts.receivers import SmtpServer, WebhookReceiver

T0 = datetime(2026, 6, 10, 10, 0, tzinfo=UTC).timestamp()  # 12:00 in Copenhagen: outside quiet hours
SECRET = "s3cret-for-tests"


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Lab:
    settings: Settings
    store: SqliteStore
    registry: SqliteRegistry
    client: TestClient
    clock: Clock
    hook: WebhookReceiver
    smtp: SmtpServer
    keys: dict[str, str]
    evaluators: list[Evaluator] = field(default_factory=list)

    def send(self, method: str, url: str, role: str = "admin", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role != "public" else {}
        return self.client.request(method, url, headers=headers, **kw)

    def evaluator(self, holder: str = "host-a") -> Evaluator:
        ev = Evaluator(self.store, self.registry, self.settings, holder=holder, clock=self.clock)
        self.evaluators.append(ev)
        return ev

    def rule(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "rule_id": "loud",
            "kind": "level",
            "sensor_ids": ["vb-01"],
            "window_s": 60,
            "above_db": 70,
            "for_s": 0,
            "cooldown_s": 900,
            "channels": [
                {"type": "webhook", "url": self.hook.url, "secret": SECRET},
                {"type": "email", "to": ["miljo@example.dk"]},
            ],
        }
        body.update(overrides)
        return body

    def write_levels(
        self, sensor_id: str, start_s: float, levels: list[float], *, step_s: float = 1.0
    ) -> None:
        self.store.write(
            [
                Reading(sensor_id, round((start_s + i * step_s) * 1000), step_s, lv)
                for i, lv in enumerate(levels)
            ]
        )

    def run(self, evaluator: Evaluator, until_s: float, *, every_s: float = 15.0) -> None:
        """Tick the evaluator every ``every_s`` of the fake clock until ``until_s``."""
        while self.clock.now < until_s:
            self.clock.now += every_s
            evaluator.tick()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    hook = WebhookReceiver().start()
    smtp = SmtpServer().start()
    settings = Settings(
        data_dir=tmp_path,
        alert_allow_private_urls=True,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_sender="noiselab@example.dk",
        alert_retry_base_s=5,
        alert_retry_max_s=60,
        alert_send_timeout_s=2,
    )
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    keys = {role: registry.keys.create(role)[1] for role in ("engineer", "admin")}
    for sid in ("vb-01", "vb-02"):
        registry.upsert_sensor(
            Sensor(sid, lat=55.6, lon=12.4, placed=True, created_ms=int((T0 - 40 * 86400) * 1000))
        )
    clock = Clock()
    app = create_app(settings, store, registry)
    app.state.clock = clock
    with TestClient(app) as client:
        yield Lab(settings, store, registry, client, clock, hook, smtp, keys)
    hook.stop()
    smtp.stop()
    store.close()
    registry.close()
