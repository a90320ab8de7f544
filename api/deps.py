"""Dependencies for route handlers (``Annotated`` aliases). The app factory puts the wired objects on
``app.state``; handlers ask for them here and never build them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from noiselab.domain.settings import Settings
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry


def _store(request: Request) -> ReadingStore:
    return request.app.state.store  # type: ignore[no-any-return]


def _registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


StoreDep = Annotated[ReadingStore, Depends(_store)]
RegistryDep = Annotated[Registry, Depends(_registry)]
SettingsDep = Annotated[Settings, Depends(_settings)]
