"""schemathesis against a live noiselab: the OpenAPI document must match what the server does.

The real server (``noiselab serve``, uvicorn) runs in a subprocess on a free loopback port over a data
directory seeded with sensors, a day of readings and one key per role. The schemathesis command line runs
every check (``--checks all``: server errors, status codes, content types, headers, response schemas,
negative and positive data, missing headers, unsupported methods, ``Allow``, use after free, resource
availability, ignored auth, object-level authorization) in every phase (examples, coverage, fuzzing,
stateful) on every operation except the endless live stream, once with no key and once per role (vendor,
engineer, admin). Any finding is a failure.

Shared by ``tests/api/test_schemathesis.py`` (a lean run in the default suite) and ``python -m faults
schema`` (the long run whose figures are in docs/reliability.md). No pytest here.

Where a schema cannot say what is refused, the document says it in words (``x-refused-when-valid``: a range
of dates with ``end`` before ``start``, a single ingest reading refused for its content, an unknown target
profile), and the run expects a 422 for valid data there and nowhere else (:func:`config_text`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noiselab.api.openapi import REFUSED_WHEN_VALID
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

ROLES = ("public", "vendor", "engineer", "admin")
EXCLUDED_PATHS = ("/v1/public/stream",)  # server-sent events: the answer never ends
DAY0_S = 1_781_042_400  # 2026-06-09T22:00:00Z: 2026-06-10 00:00 in Copenhagen


def seed(data: Path) -> dict[str, str]:
    """Sensors, a day of 1-min readings and one key per role in ``data``; the keys by role."""
    settings = Settings(data_dir=data)
    registry = SqliteRegistry(settings.registry_path)
    store = SqliteStore(data / "noise.db")
    try:
        keys = {
            role: registry.keys.create(role, vendor="acme" if role == "vendor" else None)[1]
            for role in ("vendor", "engineer", "admin")
        }
        registry.upsert_sensor(
            Sensor("pub-1", name="Public", vendor="acme", lat=55.6, lon=12.4, public=True, placed=True)
        )
        registry.upsert_sensor(
            Sensor("fac-1", facade=True, public=True, placed=True, area_category="housing")
        )
        registry.ensure_sensors(["priv-1"], vendor="acme")
        readings = [
            Reading(sensor, (DAY0_S + 60 * i) * 1000, 60.0, 50.0 + (i % 30), 60.0 + (i % 30))
            for sensor in ("pub-1", "fac-1", "priv-1")
            for i in range(1440)
        ]
        store.write(readings)
    finally:
        store.close()
        registry.close()
    return keys


@dataclass
class RoleRun:
    role: str
    exit_code: int
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    output_tail: str = ""


def config_text(doc: dict[str, Any]) -> str:
    """schemathesis.toml: per operation, the statuses positive data may get beyond the defaults.

    422 only where the document itself says it refuses data its schema calls valid
    (``x-refused-when-valid``, :mod:`noiselab.api.openapi`), with its reasons as the comment.
    """
    lines = [
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "401", "403", "404", "409", "429"]',
    ]
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            reasons = op.get(REFUSED_WHEN_VALID, [])
            if not reasons:
                continue
            lines += [
                "",
                f"# {method.upper()} {path}: 422 for " + "; ".join(r.replace("\n", " ") for r in reasons),
                "[[operations]]",
                f'include-path = "{path}"',
                f'include-method = "{method.upper()}"',
                "[operations.checks.positive_data_acceptance]",
                'expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]',
            ]
    return "\n".join(lines) + "\n"


def run_role(
    base_url: str,
    role: str,
    key: str | None,
    work: Path,
    *,
    max_examples: int,
    max_time_s: float | None,
    seed_value: int = 20,
    phases: str = "examples,coverage,fuzzing,stateful",
) -> RoleRun:
    """One schemathesis run as ``role``; its exit code and the figures of its JSON report."""
    report = work / f"report-{role}.json"
    cmd = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed_value),
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--exclude-path",
        *EXCLUDED_PATHS,
    ]
    if max_time_s is not None:
        cmd += ["--max-time", str(int(max_time_s))]
    if key is not None:
        cmd += ["-H", f"X-API-Key: {key}"]
    t0 = time.monotonic()
    env = {**os.environ, "NO_COLOR": "1"}  # schemathesis.toml is found in the working directory
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    summary: dict[str, Any] = {}
    if report.exists():
        summary = _summarise(json.loads(report.read_text()))
    tail = (proc.stdout + proc.stderr)[-6000:]
    return RoleRun(role, proc.returncode, time.monotonic() - t0, summary, tail)


def _summarise(report: dict[str, Any]) -> dict[str, Any]:
    """The figures kept from schemathesis' JSON report."""
    cases = report.get("test_cases", {})
    ops = report.get("operations", {})
    return {
        "test_cases": cases.get("generated"),
        "test_cases_with_failures": cases.get("with_failures"),
        "unique_failures": cases.get("unique_failures"),
        "operations_tested": ops.get("tested"),
        "failures": [
            f"{f.get('code')} {f.get('title')}: {f.get('operations')}" for f in report.get("failures", [])
        ],
        "phases": {
            k: v.get("status") if isinstance(v, dict) else v for k, v in report.get("phases", {}).items()
        },
    }


def schema_run(
    work: Path, *, max_examples: int, max_time_s: float | None = None, roles: tuple[str, ...] = ROLES
) -> dict[str, Any]:
    """Seed, serve, run schemathesis as every role; figures and ``ok``."""
    from faults.slowclients import Server  # the same subprocess server as the slow-client run

    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    keys = seed(data)
    server = Server(data, {"NOISELAB_RATE_LIMIT_ENABLED": "false"})
    try:
        base_url = f"http://127.0.0.1:{server.port}"
        import urllib.request

        with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=30) as resp:
            doc = json.loads(resp.read())
        (work / "schemathesis.toml").write_text(config_text(doc))
        operations = sum(len(item) for item in doc["paths"].values())
        runs = [
            run_role(base_url, role, keys.get(role), work, max_examples=max_examples, max_time_s=max_time_s)
            for role in roles
        ]
    finally:
        server.stop()
    return {
        "operations": operations,
        "excluded": list(EXCLUDED_PATHS),
        "max_examples": max_examples,
        "runs": {
            r.role: {"exit_code": r.exit_code, "seconds": round(r.seconds, 1), **r.summary} for r in runs
        },
        "failures": {r.role: r.output_tail for r in runs if r.exit_code != 0},
        "ok": all(r.exit_code == 0 for r in runs),
    }
