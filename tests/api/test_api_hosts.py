"""SPEC §13: two ``noiselab serve`` processes on one PostgreSQL registry and one store. A key created on one
works on the other at once, a key revoked on one stops on both, an admin change on one is seen by both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import free_port, wait_port, wait_until

pytestmark = pytest.mark.slow


def call(port: int, method: str, path: str, key: str | None = None, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def env_for(registry_url: str, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NOISELAB_REGISTRY_URL": registry_url,
        "NOISELAB_DATA_DIR": str(data),
        "NOISELAB_LOG_LEVEL": "WARNING",
    }


def start_serve(
    env: dict[str, str], log_path: Path, attempts: int = 3
) -> tuple[int, subprocess.Popen[bytes]]:
    """``noiselab serve`` on a free port, listening. A free port can be taken by another process before
    serve binds it: then serve exits at once, and it is started again on another port (bounded). Any other
    early exit fails with serve's log."""
    for _ in range(attempts):
        port = free_port()
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "noiselab.cli", "serve", "--http-port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_until(
            lambda p=proc, n=port: p.poll() is not None or listening(n), timeout_s=60, what="serve listening"
        )
        if proc.poll() is None:
            return port, proc
        text = log_path.read_text(errors="replace")
        if "address already in use" not in text.lower():
            pytest.fail(f"noiselab serve exited with {proc.returncode}:\n{text[-3000:]}")
    pytest.fail(f"no free port for noiselab serve after {attempts} attempts")


def listening(port: int) -> bool:
    try:
        wait_port(port, timeout_s=0.2)
    except TimeoutError:
        return False
    return True


@pytest.fixture
def hosts(fresh_pg_database: str, tmp_path: Path) -> Iterator[tuple[int, int, str]]:
    """Two API processes (ports a, b) and an admin key made with ``noiselab keys create``."""
    env = env_for(fresh_pg_database, tmp_path)
    made = subprocess.run(
        [sys.executable, "-m", "noiselab.cli", "keys", "create", "--role", "admin"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    admin = made.stdout.strip().splitlines()[-1]
    ports: list[int] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(2):
            port, proc = start_serve(env, tmp_path / f"serve-{i}.log")
            ports.append(port)
            procs.append(proc)
        yield ports[0], ports[1], admin
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)


def test_keys_and_admin_changes_are_shared_by_both_hosts(hosts: tuple[int, int, str]) -> None:
    a, b, admin = hosts
    assert call(a, "GET", "/v1/keys", admin)[0] == call(b, "GET", "/v1/keys", admin)[0] == 200

    # a key made on A works on B at once
    status, made = call(a, "POST", "/v1/keys", admin, {"role": "engineer", "label": "two hosts"})
    assert status == 201
    key, key_id = made["key"], made["key_id"]
    assert call(b, "GET", "/v1/keys", key)[0] == 403  # valid on B (an engineer is not an admin)
    assert call(b, "GET", "/v1/sensors", key)[0] == 200

    # an admin change on B is seen by A, and one on A by B
    sensor = {"sensor_id": "host-1", "name": "Strandvej", "lat": 55.7, "lon": 12.6, "public": True}
    assert call(b, "POST", "/v1/sensors", admin, sensor)[0] == 201
    status, seen = call(a, "GET", "/v1/sensors/host-1", key)
    assert status == 200 and seen["name"] == "Strandvej"
    assert call(a, "PATCH", "/v1/sensors/host-1", admin, {"name": "Strandvej 2"})[0] == 200
    assert call(b, "GET", "/v1/sensors/host-1", key)[1]["name"] == "Strandvej 2"
    assert call(a, "POST", "/v1/sensors", admin, sensor)[0] == 409  # one registry: B's sensor exists on A

    # a key revoked on B stops on both within seconds
    assert call(b, "DELETE", f"/v1/keys/{key_id}", admin)[0] == 204
    wait_until(lambda: call(a, "GET", "/v1/sensors", key)[0] == 401, timeout_s=5, what="revocation on A")
    assert call(b, "GET", "/v1/sensors", key)[0] == 401
    assert call(a, "DELETE", f"/v1/keys/{key_id}", admin)[0] == 404  # already revoked, seen from A too


def test_a_bad_key_is_refused_by_both(hosts: tuple[int, int, str]) -> None:
    a, b, _ = hosts
    for port in (a, b):
        assert call(port, "GET", "/v1/keys", "nlk_not-a-key")[0] == 401
        assert call(port, "GET", "/v1/keys")[0] == 401
