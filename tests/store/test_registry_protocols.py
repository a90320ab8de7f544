"""The registry's role Protocols (store/registry/base.py) describe what the SQL registry really offers: every
role of :class:`Registry` is typed by a Protocol (none is ``Any``), and the object the registry holds for it
has each of the Protocol's methods with the same parameters (names, kinds and defaults)."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

from noiselab.store.registry import SqliteRegistry, base

ROLES = [name for name, member in vars(base.Registry).items() if isinstance(member, property)]


def _protocol_of(role: str) -> Any:
    getter = vars(base.Registry)[role].fget
    hints = typing.get_type_hints(getter, vars(base))
    return hints["return"]


def _methods(protocol: Any) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for cls in protocol.__mro__
        if cls not in (object, typing.Protocol, typing.Generic)
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def _params(sig: inspect.Signature) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def test_every_role_is_typed_by_a_protocol() -> None:
    assert {"alerts", "leases", "audit", "keys", "trials"} <= set(ROLES)
    for role in ROLES:
        protocol = _protocol_of(role)
        assert protocol is not Any, role
        assert getattr(protocol, "_is_protocol", False), f"{role}: {protocol!r} is not a Protocol"
        assert _methods(protocol), f"{role}: {protocol.__name__} declares no methods"


@pytest.mark.parametrize("role", ROLES)
def test_the_sql_registry_has_what_each_protocol_declares(role: str, tmp_path: Path) -> None:
    registry = SqliteRegistry(tmp_path / "registry.db")
    try:
        held = getattr(registry, role)
        for name, declared in _methods(_protocol_of(role)).items():
            found = getattr(held, name, None)
            assert callable(found), f"registry.{role} has no {name}()"
            assert _params(inspect.signature(found)) == _params(declared), f"registry.{role}.{name}"
    finally:
        registry.close()
