"""Imports point inward: processing imports nothing of ours; store never imports ingest or api; ingest
never imports api. Checked on the source with the ast module."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"noiselab", "ingest", "processing", "api", "store"}
FORBIDDEN = {
    "processing": OURS - {"processing"},
    "store": {"ingest", "api"},
    "ingest": {"api"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_inward(package: str) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_top_levels(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_processing_uses_only_numpy_and_the_standard_library() -> None:
    allowed = {"numpy", "__future__"} | set(sys.stdlib_module_names)
    used = set().union(*(imported_top_levels(p) for p in (ROOT / "processing").rglob("*.py")))
    assert used - allowed - {"processing"} == set()
