"""The tests' face of :mod:`localservices`: the same real services, with pytest's outcomes. In CI
(``CI=true``) a missing service binary is a failure, never a skip: `.ci/run` installs them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import localservices
from localservices import (  # re-exported for the tests
    IN_CI,
    MOSQUITTO_CONF,
    Mosquitto,
    ServiceMissing,
    SwitchableStore,
    free_port,
    poll,
    publish,
    wait_port,
)

__all__ = [
    "IN_CI",
    "MOSQUITTO_CONF",
    "Mosquitto",
    "SwitchableStore",
    "free_port",
    "poll",
    "publish",
    "require_binary",
    "start_mosquitto",
    "start_mosquitto_with_acl",
    "wait_port",
    "wait_until",
]


def missing(exc: ServiceMissing) -> None:
    """Skip the test, or fail it in CI, where every service must be installed."""
    if IN_CI:
        pytest.fail(str(exc))
    pytest.skip(str(exc))


def require_binary(name: str, *candidates: str) -> str:
    try:
        return localservices.require_binary(name, *candidates)
    except ServiceMissing as exc:
        missing(exc)
        raise


def start_mosquitto(tmp: Path, extra_conf: str = "") -> Mosquitto:
    try:
        return localservices.start_mosquitto(tmp, extra_conf)
    except ServiceMissing as exc:
        missing(exc)
        raise


def start_mosquitto_with_acl(tmp: Path, users: dict[str, str], acl: str) -> Mosquitto:
    """Mosquitto with hashed passwords (mosquitto_passwd), an ACL file and no anonymous access, as the
    vendors' production broker runs."""
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
    passwd = require_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd")
    d = tmp / "mosquitto"
    d.mkdir()
    pwfile = d / "passwd"
    pwfile.touch()
    for user, password in users.items():
        subprocess.run([passwd, "-b", str(pwfile), user, password], check=True, capture_output=True)
    (d / "acl").write_text(acl)
    pwfile.chmod(0o644)  # readable after Mosquitto drops root privileges
    extra = f"password_file {pwfile}\nacl_file {d / 'acl'}\nallow_anonymous false\n"
    return Mosquitto(binary, d, free_port(), extra).start()


def wait_until(
    predicate: Any, timeout_s: float = 20.0, interval_s: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until truthy (bounded); returns its value or fails the test."""
    try:
        return poll(predicate, timeout_s, what, interval_s)
    except TimeoutError as exc:
        pytest.fail(str(exc))
