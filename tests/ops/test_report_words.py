"""The report's catalogs (noiselab/cli/report/catalogs/*.json): every key in every language, same
placeholders, and the report refuses a language it has no catalog for."""

from __future__ import annotations

import re
from typing import Any

import pytest

from noiselab.cli.report.words import LANGS, Words, catalogs

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): node}


def test_every_language_has_every_key_and_placeholder() -> None:
    assert set(LANGS) == {"da", "en"}
    leaves = {lang: _leaves(catalogs()[lang]) for lang in LANGS}
    keys = {lang: {k for k in leaf if not k.startswith("meta.")} for lang, leaf in leaves.items()}
    assert keys["da"] == keys["en"]
    for key in keys["en"]:
        found = {lang: set(PLACEHOLDER.findall(str(leaves[lang][key]))) for lang in LANGS}
        assert found["da"] == found["en"], key
        lengths = {len(leaves[lang][key]) for lang in LANGS if isinstance(leaves[lang][key], list)}
        assert len(lengths) <= 1, key  # table headers: as many columns in every language


def test_words_fill_values_and_write_numbers_as_the_language_does() -> None:
    da, en = Words("da"), Words("en")
    assert da("summary.events", threshold="70", n_all=3, n_night=1).startswith("Forbikørsler")
    assert da.number(64.94) == "64,9" and en.number(64.94) == "64.9"
    assert da.db(None) == "–" and en.db(float("nan")) == "–"
    assert da.period("night") == "nat" and en.kind("label") == "label"
    with pytest.raises(ValueError, match="no report language 'fr'"):
        Words("fr")
