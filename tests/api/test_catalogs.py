"""Language catalogs (api/catalogs/*.json): complete in every language, same placeholders, working plurals."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

from noiselab.api import catalog
from noiselab.api.resident_words import FALLBACK_TARGETS, day_sentence, night_sentence
from noiselab.domain.targets import AREA_CATEGORIES

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key -> leaf (a string, a list of pairs, or a plural-forms object kept whole)."""
    if isinstance(node, dict) and not set(node) <= {"zero", "one", "other"}:
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(leaves(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): node}


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) - {"n"}
    if isinstance(value, list):
        return set().union(set(), *(placeholders(v) for v in value))
    return set()


def test_langs_come_from_the_catalog_files() -> None:
    assert set(catalog.LANGS) == {"da", "en"}
    assert {m.value for m in catalog.Lang} == set(catalog.LANGS)
    assert catalog.DEFAULT_LANG in catalog.LANGS


@pytest.mark.parametrize("lang", [lang for lang in catalog.LANGS if lang != catalog.DEFAULT_LANG])
def test_every_key_and_placeholder_exists_in_every_language(lang: str) -> None:
    base, other = leaves(catalog.catalogs()[catalog.DEFAULT_LANG]), leaves(catalog.catalogs()[lang])
    assert sorted(set(base) ^ set(other)) == []
    differing = {k: (placeholders(base[k]), placeholders(other[k])) for k in base}
    assert {k: v for k, v in differing.items() if v[0] != v[1]} == {}


@pytest.mark.parametrize("lang", catalog.LANGS)
def test_plural_entries_have_the_forms_their_rule_needs(lang: str) -> None:
    rule = catalog.PLURAL_RULES[catalog.catalogs()[lang]["meta"]["plural"]]
    needed = {rule(n) for n in range(0, 200)}
    plural_entries = {k: v for k, v in leaves(catalog.catalogs()[lang]).items() if isinstance(v, dict)}
    assert plural_entries, "the catalogs have plural entries (loud events)"
    for key, forms in plural_entries.items():
        assert needed <= set(forms), key


def test_plural_forms_and_values_by_hand() -> None:
    assert catalog.text("en", "events", n=1, threshold=70) == "1 loud event above 70 dB"
    assert catalog.text("en", "events", n=3, threshold=70) == "3 loud events above 70 dB"
    assert catalog.text("da", "events", n=0, threshold=65) == "ingen høje hændelser over 65 dB"
    assert catalog.text("da", "events", n=2, threshold=70) == "2 høje hændelser over 70 dB"
    assert catalog.plural("da", {"one": "a", "other": "b"}, 0) == "b"  # no zero form: the rule decides
    with pytest.raises(KeyError):
        catalog.text("en", "events", threshold=70)


def test_a_missing_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        catalog.text("en", "no.such.key")


def test_sentences_in_both_languages_read_as_written() -> None:
    target = FALLBACK_TARGETS["dk-road-housing"]
    night = {"lnight_db": 47.4, "events_70": 1, "coverage": 0.5}
    assert night_sentence(night, target, "en") == (
        "Last night was 2 dB above WHO's night recommendation (45 dB) (measured only 50 % of the time);"
        " 1 loud event above 70 dB."
    )
    assert night_sentence(None, target, "da") == "Ingen målinger fra sidste nat."
    assert day_sentence({"lden_db": 58.2, "coverage": 1.0}, target, "da") == (
        "I går var døgnets støj (Lden) lige på målet for boliger (58 dB)."
    )


def test_the_page_script_carries_every_catalog() -> None:
    script = catalog.page_script()
    for lang in catalog.LANGS:
        assert f'"{lang}": {{' in script
        assert catalog.catalogs()[lang]["page"]["title"] in script
    assert all(ch in string.printable or ord(ch) > 127 for ch in script)


@pytest.mark.parametrize("lang", catalog.LANGS)
def test_every_area_category_has_words(lang: str) -> None:
    areas = catalog.catalogs()[lang]["server"]["area"]
    assert [a for a in AREA_CATEGORIES if a not in areas] == []
