"""API keys are stored hashed and never logged: every log line of a session that creates and uses keys
(at DEBUG, through noiselab's own log pipeline) and every byte of the registry file are searched."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.cli import logs
from noiselab.domain.settings import Settings
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore


def test_keys_are_never_logged_nor_stored_in_clear(tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = logs.setup("DEBUG", stream=stream)
    try:
        settings = Settings(data_dir=tmp_path)
        keys = SqliteRegistry(settings.registry_path).keys
        admin = keys.create("admin")[1]
        vendor = keys.create("vendor", vendor="acme")[1]
        app = create_app(
            settings, SqliteStore(tmp_path / "noise.db"), SqliteRegistry(settings.registry_path), keys=keys
        )
        with TestClient(app) as client:
            made = client.post("/v1/keys", json={"role": "engineer"}, headers={"X-API-Key": admin})
            assert made.status_code == 201
            engineer = made.json()["key"]
            ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
            body = {"sensor_id": "a-1", "ts": ts, "laeq": 55.0}
            assert (
                client.post(
                    "/v1/readings", json=body, headers={"Authorization": f"Bearer {vendor}"}
                ).status_code
                == 200
            )
            bad = {"sensor_id": "a-1", "ts": "2026-06-10T07:00:00", "laeq": 55.0}  # refused and logged
            assert client.post("/v1/readings", json=bad, headers={"X-API-Key": vendor}).status_code == 422
            assert client.get("/v1/sensors", headers={"X-API-Key": engineer}).status_code == 200
            forged = "nlk_" + "A" * 43
            assert client.get("/v1/sensors", headers={"X-API-Key": forged}).status_code == 401
            logging.getLogger("noiselab.test").info("a request carried Authorization: Bearer %s", vendor)
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert "refused input" in text  # the capture did see the app's log lines
    for key in (admin, vendor, engineer):
        assert key not in text, "a plaintext API key reached the log"
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("registry.db"))
    for key in (admin, vendor, engineer, forged):
        assert key.encode() not in raw, "a plaintext API key is in the registry file"
