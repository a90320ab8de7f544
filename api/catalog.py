"""Languages as data: one JSON catalog per language in ``api/catalogs/<code>.json``.

Why small JSON catalogs rather than gettext/Babel: the same strings serve Python (the residents' sentences)
and the page's JavaScript (served as ``/static/i18n.js`` straight from the catalogs), the texts are few and
written by us rather than by a translation team, and JSON needs no compile step or extra dependency. A
catalog holds ``meta`` (name, locale, plural rule), ``page`` (the page's strings) and ``server`` (sentences
built here). ``{name}`` marks a value filled in.

Plural forms: an entry whose value is an object with ``one``/``other`` (and optionally ``zero``, used for
n = 0 where a language prefers a sentence of its own) is chosen by :func:`plural`, with the catalog's rule
from :data:`PLURAL_RULES` (add a rule there for a language that needs another one, e.g. CLDR's Polish).

Adding a language = adding a catalog file with every key of the others; ``LANGS`` and the ``Lang`` enum
(used by ``?lang=``) come from the files that exist, and tests/api/test_catalogs.py fails while a key or a
placeholder is missing in any language.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANG = "da"

PLURAL_RULES: dict[str, Callable[[int], str]] = {
    "one-is-1": lambda n: "one" if n == 1 else "other",  # Danish, English, German, Swedish, ...
    "one-is-0-or-1": lambda n: "one" if n in (0, 1) else "other",  # French, Brazilian Portuguese
}


@cache
def catalogs() -> dict[str, dict[str, Any]]:
    """Every catalog, by language code (the file's stem), loaded once."""
    folder = resources.files("noiselab.api").joinpath("catalogs")
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            found[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
    if DEFAULT_LANG not in found:
        raise RuntimeError(f"the default language's catalog {DEFAULT_LANG}.json is missing")
    return found


LANGS: tuple[str, ...] = tuple(sorted(catalogs()))
Lang = enum.StrEnum("Lang", {code: code for code in LANGS})  # type: ignore[misc]  # built from the files
DEFAULT = Lang(DEFAULT_LANG)


def entry(lang: str, key: str) -> Any:
    """The catalog entry at a dotted ``key`` (``"server.night.none"``)."""
    node: Any = catalogs()[lang]
    for part in key.split("."):
        node = node[part]
    return node


def plural(lang: str, forms: dict[str, str], n: int) -> str:
    """The form of ``forms`` for ``n`` under ``lang``'s plural rule (``zero`` first where given)."""
    if n == 0 and "zero" in forms:
        return forms["zero"]
    return forms[PLURAL_RULES[catalogs()[lang]["meta"]["plural"]](n)]


def text(lang: str, key: str, *, n: int | None = None, **values: Any) -> str:
    """The string at ``server.<key>`` in ``lang``, its plural form chosen by ``n``, ``values`` filled in."""
    found = entry(lang, f"server.{key}")
    if isinstance(found, dict):
        if n is None:
            raise KeyError(f"{key} has plural forms; pass n")
        found = plural(lang, found, n)
        values.setdefault("n", n)
    return str(found).format(**values)


def by_lang(key: str) -> dict[str, str]:
    """``{lang: text}`` of one server string, for values that carry every language (target labels)."""
    return {lang: str(entry(lang, f"server.{key}")) for lang in LANGS}


def page_script() -> str:
    """``/static/i18n.js``: the page strings of every catalog as ``window.NL_I18N``."""
    pages = {lang: catalogs()[lang]["page"] for lang in LANGS}
    body = json.dumps(pages, ensure_ascii=False, indent=1)
    return f'/* Generated from api/catalogs/*.json. */\n"use strict";\nwindow.NL_I18N = {body};\n'
