"""Turning a message body into JSON values safely, and small accessors that refuse with precise reasons.

Limits: bodies over :data:`MAX_BODY_BYTES` (``too_large``), JSON nested deeper than :data:`MAX_DEPTH`
(``too_deep``; Python's parser would otherwise raise RecursionError on a few thousand brackets), and
more than :data:`MAX_ITEMS` readings in one message (``too_many_readings``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from noiselab.domain.errors import InvalidReading

MAX_BODY_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_ITEMS = 100_000


def load_json(body: bytes) -> object:
    """Parse a body as UTF-8 JSON (a leading BOM is tolerated). ``NaN``/``Infinity`` literals parse to
    floats here and are refused later by the level and time checks with ``not_finite`` / ``bad_time``."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise InvalidReading("bad_body", f"body must be bytes, got {type(body).__name__}")
    if len(body) > MAX_BODY_BYTES:
        raise InvalidReading("too_large", f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES} bytes")
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidReading("bad_encoding", f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        raise InvalidReading("empty_body", "body is empty; send a JSON document")
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise InvalidReading("too_deep", f"JSON is nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # JSONDecodeError, and the int-digits limit of huge integers
        raise InvalidReading("bad_json", f"body is not valid JSON: {str(exc)[:200]}") from exc
    if text.count("[") + text.count("{") > MAX_DEPTH:
        _check_depth(data)
    return data


def _check_depth(data: object) -> None:
    """Refuse containers nested more than MAX_DEPTH deep, without recursion."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Iterable[object] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise InvalidReading("too_deep", f"JSON is nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def check_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise InvalidReading(
            "too_many_readings", f"{count} readings in one message; the limit is {MAX_ITEMS}"
        )
    if count == 0:
        raise InvalidReading("no_readings", "the message holds no readings")


def as_object(value: object, what: str) -> dict[str, object]:
    """``value`` as a JSON object, or ``bad_type``."""
    if not isinstance(value, dict):
        raise InvalidReading("bad_type", f"{what} must be a JSON object, got {json_type(value)}")
    return value


def top_object(data: object, what: str) -> dict[str, object]:
    """The top-level JSON object of a body, or ``bad_shape``."""
    if not isinstance(data, dict):
        raise InvalidReading("bad_shape", f"body must be {what} (a JSON object), got {json_type(data)}")
    return data


def require(obj: Mapping[str, object], key: str, what: str | None = None) -> object:
    """``obj[key]`` when present and not null, else ``missing_field``."""
    value = obj.get(key)
    if value is None:
        raise InvalidReading("missing_field", f"{what or key} is required")
    return value


def as_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidReading("bad_type", f"{what} must be a string, got {json_type(value)}")
    return value


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages to vendors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def preview(names: Iterable[object], limit: int = 20) -> str:
    """A short, safe list of field names for a refusal detail."""
    listed = list(names)
    items = [str(n)[:40] for n in listed[:limit]]
    more = ", ..." if len(listed) > limit else ""
    return ", ".join(items) + more if items else "(none)"
