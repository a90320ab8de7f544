"""bench/ and faults/ run without pytest: they share the real-service helpers of ``localservices`` with the
tests, and none of what they import may pull pytest in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_faults_bench_and_localservices_import_without_pytest() -> None:
    modules = ["localservices", "localservices.influx"]
    modules += [f"faults.{p.stem}" for p in sorted((ROOT / "faults").glob("*.py")) if p.stem != "__main__"]
    modules += [f"bench.{p.stem}" for p in sorted((ROOT / "bench").glob("bench_*.py"))]
    code = (
        "import importlib, sys\n"
        "sys.modules['pytest'] = None  # any import of pytest now raises ImportError\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
