"""`noiselab keys` through click's CliRunner, and the printed key against the API."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.cli.main import main
from noiselab.domain.settings import Settings
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore


def test_keys_create_prints_the_key_alone_on_the_last_line_and_it_works(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "create", "--role", "engineer", "--data-dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    key = made.output.rstrip("\n").splitlines()[-1]
    assert key.startswith("nlk_") and " " not in key and len(key) > 40

    settings = Settings(data_dir=tmp_path)
    registry = SqliteRegistry(settings.registry_path)
    registry.ensure_sensors(["hidden-1"])
    store = SqliteStore(tmp_path / "noise.db")
    client = TestClient(create_app(settings, store, registry))
    assert client.get("/v1/sensors/hidden-1").status_code == 404
    assert client.get("/v1/sensors/hidden-1", headers={"Authorization": f"Bearer {key}"}).status_code == 200

    listed = runner.invoke(main, ["keys", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "engineer" in listed.output and key not in listed.output
    header, *rows = listed.output.splitlines()
    assert header.split("\t") == ["id", "role", "vendor", "key", "created", "state", "label"]
    key_id = rows[0].split("\t")[0]
    revoked = runner.invoke(main, ["keys", "revoke", key_id, "--data-dir", str(tmp_path)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/v1/sensors/hidden-1", headers={"X-API-Key": key}).status_code == 401
    assert runner.invoke(main, ["keys", "revoke", key_id, "--data-dir", str(tmp_path)]).exit_code == 1
    store.close()
    registry.close()


def _rows(runner: CliRunner, data: Path) -> list[dict[str, str]]:
    listed = runner.invoke(main, ["keys", "list", "--data-dir", str(data)])
    assert listed.exit_code == 0, listed.output
    if listed.output.strip() == "no keys":
        return []
    header, *rows = listed.output.splitlines()
    return [dict(zip(header.split("\t"), row.split("\t"), strict=False)) for row in rows]


def test_keys_create_checks_role_and_vendor(tmp_path: Path) -> None:
    """A vendor key needs --vendor and is bound to it (it writes that vendor's sensors only); a key of another
    role refuses --vendor; an unknown role is a usage error. Refused commands create nothing."""
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    no_vendor = runner.invoke(main, ["keys", "create", "--role", "vendor", *data])
    assert no_vendor.exit_code == 2 and "vendor" in no_vendor.output
    engineer_with_vendor = runner.invoke(
        main, ["keys", "create", "--role", "engineer", "--vendor", "acme", *data]
    )
    assert engineer_with_vendor.exit_code == 2 and "vendor" in engineer_with_vendor.output
    root = runner.invoke(main, ["keys", "create", "--role", "root", *data])
    assert root.exit_code == 2 and "root" in root.output
    assert _rows(runner, tmp_path) == []  # nothing was created by the refused commands

    made = runner.invoke(
        main, ["keys", "create", "--role", "vendor", "--vendor", "acme", "--label", "gw", *data]
    )
    assert made.exit_code == 0, made.output
    assert "for vendor acme" in made.output
    key = made.output.splitlines()[-1]
    assert key.startswith("nlk_")
    [row] = _rows(runner, tmp_path)
    assert (row["role"], row["vendor"], row["state"], row["label"]) == ("vendor", "acme", "active", "gw")
    assert key not in made.output.splitlines()[0] and key[: len(row["key"]) - 3] + "..." == row["key"]

    settings = Settings(data_dir=tmp_path)
    registry = SqliteRegistry(settings.registry_path)
    registry.ensure_sensors(["theirs-1"], vendor="other")
    store = SqliteStore(tmp_path / "noise.db")
    client = TestClient(create_app(settings, store, registry))
    auth = {"X-API-Key": key}
    body = {"ts": "2026-06-10T07:00:00Z", "interval_s": 1, "laeq": 58.2}
    ours = client.post("/v1/readings", json={**body, "sensor_id": "ours-1"}, headers=auth)
    assert ours.status_code == 200 and ours.json()["stored"] == 1, ours.text
    assert registry.get_sensor("ours-1").vendor == "acme"  # type: ignore[union-attr]
    theirs = client.post("/v1/readings", json={**body, "sensor_id": "theirs-1"}, headers=auth)
    assert theirs.status_code == 200 and theirs.json()["stored"] == 0, theirs.text
    assert [x["reason"] for x in theirs.json()["refused"]] == ["not_your_sensor"]
    assert client.get("/v1/keys", headers=auth).status_code == 403  # a vendor key is not an admin key
    store.close()
    registry.close()


def test_env_data_dir(tmp_path: Path) -> None:
    """NOISELAB_DATA_DIR picks the registry when --data-dir is not given: the key works there as admin."""
    runner = CliRunner()
    made = runner.invoke(
        main, ["keys", "create", "--role", "admin"], env={"NOISELAB_DATA_DIR": str(tmp_path)}
    )
    assert made.exit_code == 0, made.output
    key = made.output.splitlines()[-1]
    [row] = _rows(runner, tmp_path)
    assert row["role"] == "admin" and row["state"] == "active"
    settings = Settings(data_dir=tmp_path)
    registry = SqliteRegistry(settings.registry_path)
    store = SqliteStore(tmp_path / "noise.db")
    client = TestClient(create_app(settings, store, registry))
    [listed] = client.get("/v1/keys", headers={"Authorization": f"Bearer {key}"}).json()
    assert listed["role"] == "admin" and str(listed["key_id"]) == row["id"]
    store.close()
    registry.close()
