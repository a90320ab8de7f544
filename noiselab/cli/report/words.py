"""The report's words: one JSON catalog per language in ``noiselab/cli/report/catalogs/<code>.json``.

Languages as data, as on the residents' page (:mod:`noiselab.api.catalog`), but in a catalog of the report's
own: the report is written on the command line and printed, and its many technical sentences would only
weigh down the catalogs that the page loads. ``LANGS`` comes from the files; tests/ops/test_report_words.py
fails while a key or a placeholder is missing in any language. ``{name}`` marks a value filled in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANG = "da"


@cache
def catalogs() -> dict[str, dict[str, Any]]:
    """Every report catalog, by language code (the file's stem), loaded once."""
    folder = resources.files("noiselab.cli.report").joinpath("catalogs")
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


LANGS: tuple[str, ...] = tuple(sorted(catalogs()))


@dataclass(frozen=True)
class Words:
    """The strings of one language: ``words("charts.lden.title", correction=3)``."""

    lang: str = DEFAULT_LANG

    def __post_init__(self) -> None:
        if self.lang not in catalogs():
            raise ValueError(f"no report language {self.lang!r}; choose one of {', '.join(LANGS)}")

    def entry(self, key: str) -> Any:
        node: Any = catalogs()[self.lang]
        for part in key.split("."):
            node = node[part]
        return node

    def __call__(self, key: str, **values: Any) -> str:
        return str(self.entry(key)).format(**values)

    def period(self, name: str) -> str:
        return str(self.entry("periods").get(name, name))

    def kind(self, kind: str) -> str:
        return str(self.entry("limits.kinds").get(kind, kind))

    def yes_no(self, value: bool) -> str:
        return self("yes") if value else self("no")

    def number(self, value: float, digits: int = 1) -> str:
        """A number as the language writes it (decimal comma in Danish)."""
        return f"{value:.{digits}f}".replace(".", str(self.entry("meta.decimal")))

    def pct(self, ratio: float) -> str:
        return f"{ratio * 100:.0f} %"

    def db(self, value: float | None) -> str:
        """A level with one decimal, or the "none" mark when there is no value."""
        if value is None or value != value:  # None or NaN
            return self("none")
        return self.number(value)
