"""``noiselab keys``: create, list and revoke API keys in the registry of ``--data-dir``/NOISELAB_DATA_DIR."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from noiselab.cli.wiring import open_registry
from noiselab.domain.settings import Settings
from noiselab.store.registry.base import KeyRegistry


def _open(settings: Settings) -> KeyRegistry:
    return open_registry(settings).keys


def create(settings: Settings, role: str, vendor: str | None, label: str | None) -> None:
    registry = open_registry(settings)
    try:
        info, key = registry.keys.create(role, vendor=vendor, label=label)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    detail = {"role": role, "vendor": vendor, "label": label, "hint": info.hint}
    registry.audit.record("cli", "key.create", f"key:{info.key_id}", detail)  # the audit log (#13)
    who = f" for vendor {vendor}" if vendor else ""
    click.echo(f"created {role} key {info.key_id}{who}; it is shown only this once:")
    click.echo(key)


def _when(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_keys(settings: Settings) -> None:
    rows = _open(settings).list()
    if not rows:
        click.echo("no keys")
        return
    click.echo("id\trole\tvendor\tkey\tcreated\tstate\tlabel")
    for k in rows:
        state = "active" if k.active else f"revoked {_when(k.revoked_ms)}"
        click.echo(
            f"{k.key_id}\t{k.role}\t{k.vendor or '-'}\t{k.hint}...\t{_when(k.created_ms)}\t{state}"
            f"\t{k.label or ''}".rstrip()
        )


def revoke(settings: Settings, key_id: int) -> None:
    registry = open_registry(settings)
    if not registry.keys.revoke(key_id):
        raise click.ClickException(f"no active key {key_id}")
    registry.audit.record("cli", "key.revoke", f"key:{key_id}")
    click.echo(f"revoked key {key_id}")
