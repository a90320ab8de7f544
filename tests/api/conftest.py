from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Registry, Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

# 2026-06-10 in Copenhagen (UTC+2) runs from 2026-06-09T22:00Z to 2026-06-10T22:00Z
DAY_START_MS = int(datetime(2026, 6, 9, 22, tzinfo=UTC).timestamp() * 1000)


@dataclass
class Api:
    client: TestClient
    store: SqliteStore
    registry: Registry
    keys: dict[str, str]  # role -> key

    def get(self, url: str, role: str = "public", **kw: object):  # type: ignore[no-untyped-def]
        headers = dict(kw.pop("headers", {}) or {})  # type: ignore[call-overload]
        if role != "public":
            headers["Authorization"] = f"Bearer {self.keys[role]}"
        return self.client.get(url, headers=headers, **kw)  # type: ignore[arg-type]

    def send(self, method: str, url: str, role: str = "public", **kw: object):  # type: ignore[no-untyped-def]
        headers = {"X-API-Key": self.keys[role]} if role != "public" else {}
        return self.client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


def constant_day(sensor_id: str, level_db: float = 60.0, *, step_s: int = 60) -> list[Reading]:
    """A full local day (2026-06-10, Copenhagen) of readings at a constant level."""
    n = 86_400 // step_s
    return [
        Reading(sensor_id, DAY_START_MS + i * step_s * 1000, float(step_s), level_db, level_db + 5.0)
        for i in range(n)
    ]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path)
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(settings.registry_path)
    keys = registry.keys
    tokens = {
        "vendor": keys.create("vendor", vendor="acme")[1],
        "engineer": keys.create("engineer")[1],
        "admin": keys.create("admin")[1],
    }
    revoked, tokens["revoked"] = keys.create("engineer")
    keys.revoke(revoked.key_id)
    registry.upsert_sensor(
        Sensor("pub-1", name="Public", vendor="acme", lat=55.6, lon=12.4, public=True, placed=True)
    )
    registry.upsert_sensor(Sensor("fac-1", facade=True, public=True, placed=True, area_category="housing"))
    registry.ensure_sensors(["priv-1"], vendor="acme")  # auto-registered: unplaced, not public
    store.write(constant_day("pub-1") + constant_day("fac-1") + constant_day("priv-1"))
    app = create_app(settings, store, registry)
    with TestClient(app) as client:
        yield Api(client, store, registry, tokens)
    store.close()
    registry.close()
