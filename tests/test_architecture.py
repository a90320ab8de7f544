"""The floors of the code, checked on the source with the ast module (docs/architecture.md draws them).

    floor 0  noiselab.domain, noiselab.processing   the domain core; processing is pure numpy
    floor 1  noiselab.store                          adapters: reading stores and the registry
    floor 2  noiselab.ingest, noiselab.api           shells (api may use ingest's pipeline and decoders)
    floor 3  noiselab.cli                            composition root: builds concrete stores/registries

A package imports only from its own floor's allowance and below, and only the composition root names the
concrete store and registry classes. Nothing installs a generic top-level name (api, store, ...).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "domain": ROOT / "noiselab" / "domain",
    "processing": ROOT / "processing",
    "store": ROOT / "store",
    "ingest": ROOT / "ingest",
    "api": ROOT / "api",
    "cli": ROOT / "noiselab" / "cli",
}
ALLOWED = {
    "processing": {"processing"},
    "domain": {"domain", "processing"},
    "store": {"domain", "processing", "store"},
    "ingest": {"domain", "processing", "store", "ingest"},
    "api": {"domain", "processing", "store", "ingest", "api"},
    "cli": set(PACKAGES),
}
CONCRETE = re.compile(r"^noiselab\.store\.(sqlite|influx|registry\.postgres)$")
CONCRETE_NAMES = {"SqliteStore", "InfluxStore", "SqliteRegistry", "PostgresRegistry", "open_registry"}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every absolute import in ``path``; relative imports stay inside a package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [a.name for a in node.names]))
    return found


def our_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "noiselab":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "root"


def sources(package: str) -> list[Path]:
    return sorted(PACKAGES[package].rglob("*.py"))


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_floor_imports_only_downwards(package: str) -> None:
    offenders: dict[str, list[str]] = {}
    for path in sources(package):
        for module, _ in imports(path):
            target = our_package(module)
            if target is not None and target != "root" and target not in ALLOWED[package]:
                offenders.setdefault(str(path.relative_to(ROOT)), []).append(module)
    assert offenders == {}


@pytest.mark.parametrize("package", ["domain", "processing", "store", "ingest", "api"])
def test_no_generic_top_level_imports(package: str) -> None:
    generic = {"api", "store", "ingest", "processing", "domain", "cli"}
    bad = {
        str(p.relative_to(ROOT)): m
        for p in sources(package)
        for m, _ in imports(p)
        if m.split(".")[0] in generic
    }
    assert bad == {}


@pytest.mark.parametrize("package", ["domain", "processing", "store", "ingest", "api"])
def test_only_the_composition_root_builds_concrete_stores_and_registries(package: str) -> None:
    offenders = []
    for path in sources(package):
        rel = path.relative_to(ROOT)
        if (
            package == "store"
        ):  # the adapters themselves may name each other (registry.sql uses sqlite.connect)
            continue
        for module, names in imports(path):
            if CONCRETE.match(module) or (
                module.startswith("noiselab.store") and CONCRETE_NAMES & set(names)
            ):
                offenders.append(f"{rel}: {module} {names}")
    assert offenders == []


def test_processing_uses_only_numpy_and_the_standard_library() -> None:
    allowed = {"numpy", "__future__"} | set(sys.stdlib_module_names)
    used = {m.split(".")[0] for p in sources("processing") for m, _ in imports(p)}
    ours = {m for p in sources("processing") for m, _ in imports(p) if m.startswith("noiselab.")}
    assert used - allowed - {"noiselab"} == set()
    assert {m for m in ours if not m.startswith("noiselab.processing")} == set()


def test_the_distribution_installs_only_the_noiselab_namespace() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["packages"]["find"]["include"] == ["noiselab*"]
    for name in ("api", "ingest", "processing", "store"):
        link = ROOT / "noiselab" / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()


def test_the_architecture_doc_names_every_floor_and_package() -> None:
    """docs/architecture.md's floor table lists the same packages, in the same floors, as ALLOWED above."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| ([^|]+) \|", text, flags=re.M)
    floors = {
        int(n): {p.strip().strip("`").removeprefix("noiselab.") for p in cell.split(",")} for n, cell in rows
    }
    assert floors == {0: {"domain", "processing"}, 1: {"store"}, 2: {"ingest", "api"}, 3: {"cli"}}
    for package, allowed in ALLOWED.items():
        floor = next(n for n, members in floors.items() if package in members)
        below = set().union(*(m for n, m in floors.items() if n < floor))
        # what a package may import is its floor's members below it, plus its own floor as the doc says
        assert below <= allowed | {package}, package
