"""Fixtures for the fast reliability and security tests (the long runs are in ``faults/``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.domain.settings import Settings
from noiselab.store.registry import Registry, SqliteRegistry
from noiselab.store.sqlite import SqliteStore


class Overlay:
    """Settings with a few values replaced (for settings fields the model does not declare yet)."""

    def __init__(self, settings: Settings, **values: Any) -> None:
        self._settings = settings
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        return getattr(self._settings, name)


@dataclass
class Ingest:
    client: TestClient
    store: SqliteStore
    registry: Registry
    keys: dict[str, str]


def make_ingest(tmp_path: Path, **overrides: Any) -> Iterator[Ingest]:
    settings = Settings(data_dir=tmp_path, max_body_bytes=50_000)
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(settings.registry_path)
    keys = registry.keys
    tokens = {
        "acme": keys.create("vendor", vendor="acme")[1],
        "other": keys.create("vendor", vendor="other")[1],
        "engineer": keys.create("engineer")[1],
    }
    app = create_app(settings, store, registry, keys=keys)
    app.state.settings = Overlay(settings, **overrides)
    with TestClient(app) as client:
        yield Ingest(client, store, registry, tokens)
    store.close()
    registry.close()


@pytest.fixture
def ingest_api(tmp_path: Path) -> Iterator[Ingest]:
    """The app with rate limits off (hostile-input tests send many requests)."""
    yield from make_ingest(tmp_path, rate_limit_enabled=False)
