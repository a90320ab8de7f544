"""Debian's PostgreSQL (``apt-get install postgresql``), started on a free loopback port in a temporary
directory, for the registry's tests and benchmarks. Runs as the ``postgres`` user when we are root
(``initdb`` refuses root); trust authentication on loopback only; ``fsync`` off (test data).

    server = start_postgres(); url = server.create_database("t_abc"); ...; server.close()
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from localservices import ServiceMissing, free_port, stop_process

USER = "noiselab"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServiceMissing("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *cmd]


@dataclass
class PostgresServer:
    dir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    databases: list[str] = field(default_factory=list)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.encode())  # test-only DDL built from checked names

    def create_database(self, name: str) -> str:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain database name: {name!r}")
        self.admin(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_postgres(timeout_s: float = 60.0) -> PostgresServer:
    """initdb + postgres on a free port; returns once it accepts connections."""
    import psycopg

    bindir = _bindir()
    # not under pytest's tmp_path: its parents are private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="noiselab-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    init = subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"]),
        capture_output=True,
        check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.decode(errors='replace')[-2000:]}")
    server = PostgresServer(base, free_port())
    with open(base / "postgres.log", "ab") as log:  # the child keeps its own descriptor
        server.proc = subprocess.Popen(
            _as_postgres([
                str(bindir / "postgres"), "-D", str(data), "-p", str(server.port), "-k", str(base),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "max_connections=200",
            ]),
            stdout=log,
            stderr=log,
        )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return server
        except psycopg.OperationalError as exc:
            if server.proc.poll() is not None or time.monotonic() > deadline:
                server.close()
                raise RuntimeError(f"postgres did not start: {exc}") from exc
            time.sleep(0.1)
