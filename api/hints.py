"""Friendlier words for request validation errors (the ``detail`` of a 422 problem): what to send instead.

FastAPI's messages come from pydantic and describe the parser ("unexpected extra characters at the end of
the input"); :func:`friendly` keeps each message's meaning and adds the fix where a common mistake is
recognisable. The commonest: an unescaped ``+`` in a time's offset (``?start=2026-06-10T00:00:00+02:00``)
arrives as a space, because ``+`` means a space in a URL query; the fix is ``%2B`` or ``Z``.
"""

from __future__ import annotations

import re
from typing import Any

# a time whose offset lost its '+': "2026-06-10T00:00:00 02:00" (also without seconds or the colon)
PLUS_AS_SPACE = re.compile(r"\d[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?$")
PLUS_HINT = (
    "a '+' in a URL query arrives as a space, so the offset was lost: "
    "use %2B for the '+' (e.g. 2026-06-10T00:00:00%2B02:00) or Z for UTC"
)
TIME_EXAMPLE = "expected an ISO 8601 time with a zone, e.g. 2026-06-10T07:00:00Z"
DATE_EXAMPLE = "expected a local date YYYY-MM-DD, e.g. 2026-06-01"

_BY_TYPE = {
    "datetime_from_date_parsing": TIME_EXAMPLE,
    "datetime_parsing": TIME_EXAMPLE,
    "datetime_type": TIME_EXAMPLE,
    "date_from_datetime_parsing": DATE_EXAMPLE,
    "date_parsing": DATE_EXAMPLE,
    "date_type": DATE_EXAMPLE,
    "timezone_aware": "give a time zone: end the time with Z (UTC) or an offset such as %2B02:00",
}


def friendly(error: dict[str, Any]) -> str:
    """One validation error's message with the fix added where we recognise the mistake."""
    kind, msg, given = error.get("type", ""), str(error.get("msg", "")), error.get("input")
    if kind == "missing":
        return "is required"
    if isinstance(given, str) and kind in _BY_TYPE and PLUS_AS_SPACE.search(given.strip()):
        return f"{msg}; {PLUS_HINT}"
    if kind in _BY_TYPE:
        shown = f", got {given[:40]!r}" if isinstance(given, str) else ""
        return f"{msg}; {_BY_TYPE[kind]}{shown}"
    if kind in ("float_parsing", "int_parsing") and isinstance(given, str):
        return f"{msg}, got {given[:40]!r}"
    return msg
