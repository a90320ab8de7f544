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


def test_keys_create_checks_role_and_vendor(tmp_path: Path) -> None:
    runner = CliRunner()
    vendor = runner.invoke(
        main, ["keys", "create", "--role", "vendor", "--vendor", "acme", "--data-dir", str(tmp_path)]
    )
    assert vendor.exit_code == 0 and vendor.output.splitlines()[-1].startswith("nlk_")
    assert (
        runner.invoke(main, ["keys", "create", "--role", "vendor", "--data-dir", str(tmp_path)]).exit_code
        == 2
    )
    assert (
        runner.invoke(main, ["keys", "create", "--role", "root", "--data-dir", str(tmp_path)]).exit_code == 2
    )


def test_env_data_dir(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main, ["keys", "create", "--role", "admin"], env={"NOISELAB_DATA_DIR": str(tmp_path)}
    )
    assert made.exit_code == 0, made.output
    assert (tmp_path / "registry.db").exists()
