"""Roles, API keys and the credentials a request presents.

    public    no key: public sensors' registry entries, current level, daily/annual summaries, compliance,
              events, 15min/1h/1d levels, targets, FIWARE view (JSON only)
    vendor    a vendor key: ingest for its own sensors (``VendorKey``); reads like public
    engineer  everything read-only: all sensors (also unplaced and private ones), raw and 1min levels, CSV
    admin     engineer + create/edit sensors, custom target profiles, keys

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (on the routes in
:data:`BASIC_PATHS` also as the password of ``Authorization: Basic``). No such header = public. Any
``Authorization`` or ``X-API-Key`` header that does not carry a valid, unrevoked key (an unknown scheme such
as ``Token``, an empty value, two different keys, an unknown or revoked key) = 401 with ``WWW-Authenticate``,
on every route, never silently public. A valid key without the role needed = 403.

The check runs once per request, in :class:`noiselab.api.ratelimit.RateLimitMiddleware` (before any rate-limit
exemption, so a made-up key cannot skip the public limit), which leaves the :class:`Principal` in the request
state; the ``Caller`` dependency reads it from there (and checks itself when no middleware ran).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import Counter

from noiselab.store.registry.base import KeyRegistry

RANK = {"public": 0, "vendor": 0, "engineer": 1, "admin": 2}
BASIC_PATHS = frozenset({"/v1/ingest/sensor-community"})
"""Routes on which ``Authorization: Basic`` carries the key as its password (devices such as sensor.community
firmware can only send Basic credentials). Everywhere else Basic is an unknown scheme (401)."""

INVALID_CREDENTIALS = Counter(
    "noiselab_api_invalid_credentials_total",
    "Requests refused with 401 for credentials that are not a valid key",
    ["reason"],
)

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key in the X-API-Key header")


@dataclass(frozen=True)
class Principal:
    """Who is asking: ``role`` is public, vendor, engineer or admin; ``vendor`` only for vendor keys."""

    role: str
    vendor: str | None = None
    key_id: int | None = None

    @property
    def engineer(self) -> bool:
        return RANK[self.role] >= RANK["engineer"]


PUBLIC = Principal("public")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="noiselab"'}


class BadCredentials(Exception):
    """A request's credentials are not a valid key; ``reason`` labels the counter."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def challenge(path: str) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 on ``path``."""
    if path in BASIC_PATHS:
        return {"WWW-Authenticate": 'Bearer realm="noiselab", Basic realm="noiselab"'}
    return dict(CHALLENGE)


def _basic_password(value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadCredentials("bad_scheme", "Basic credentials are not base64 of user:password") from exc
    _, sep, password = decoded.partition(":")
    if not sep or not password:
        raise BadCredentials("empty", "Basic credentials carry no password (the API key)")
    return password


def presented_key(headers: Iterable[tuple[bytes, bytes]], path: str = "") -> str | None:
    """The API key in a request's raw headers; None when it has no ``Authorization``/``X-API-Key`` header.

    Raises :class:`BadCredentials` for a header that cannot carry a key (an unknown scheme, an empty value,
    two different keys). Whether the key is known is for :func:`identify`.
    """
    found: list[str] = []
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name not in (b"x-api-key", b"authorization"):
            continue
        value = raw_value.decode("latin-1").strip()
        if name == b"x-api-key":
            if not value:
                raise BadCredentials("empty", "the X-API-Key header is empty")
            found.append(value)
            continue
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "bearer" and rest.strip():
            found.append(rest.strip())
        elif scheme.lower() == "basic" and path in BASIC_PATHS:
            found.append(_basic_password(rest))
        elif scheme.lower() == "bearer" or not scheme:
            raise BadCredentials("empty", "the Authorization header carries no key")
        else:
            raise BadCredentials(
                "bad_scheme",
                f"unsupported Authorization scheme {scheme[:20]!r}; use Bearer <key> or X-API-Key",
            )
    if len(set(found)) > 1:
        raise BadCredentials("conflicting", "the request presents two different keys")
    return found[0] if found else None


def identify(keys: KeyRegistry | None, key: str | None) -> Principal:
    """The principal of a presented key (``PUBLIC`` for none); raises BadCredentials for a bad key."""
    if key is None:
        return PUBLIC
    found = keys.verify(key) if keys is not None else None
    if found is None:
        raise BadCredentials("unknown_key", "unknown or revoked API key")
    return Principal(found.role, found.vendor, found.key_id)


def authenticate(keys: KeyRegistry | None, headers: Iterable[tuple[bytes, bytes]], path: str) -> Principal:
    """:func:`presented_key` then :func:`identify`, counting every refusal in
    ``noiselab_api_invalid_credentials_total``."""
    try:
        return identify(keys, presented_key(headers, path))
    except BadCredentials as exc:
        INVALID_CREDENTIALS.labels(exc.reason).inc()
        raise


def _principal(
    request: Request,
    _bearer_doc: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _header_doc: Annotated[str | None, Depends(_header)],
) -> Principal:
    """The caller; the two security dependencies only declare the schemes in the OpenAPI document."""
    known = request.scope.get("state", {}).get("principal")
    if isinstance(known, Principal):
        return known
    try:
        return authenticate(request.app.state.keys, request.headers.raw, request.url.path)
    except BadCredentials as exc:
        raise HTTPException(401, exc.detail, headers=challenge(request.url.path)) from exc


Caller = Annotated[Principal, Depends(_principal)]


def _a(word: str) -> str:
    """``word`` with its indefinite article: 'an engineer', 'an admin', 'a vendor'."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def demand(caller: Principal, role: str, what: str = "this") -> Principal:
    """``caller`` if it has ``role`` (or a higher one); else 401 for the public, 403 for other keys."""
    if caller.role == "public":
        raise HTTPException(401, f"{what} needs {_a(role)} API key", headers=CHALLENGE)
    if RANK[caller.role] < RANK[role] or (caller.role == "vendor" and role != "vendor"):
        raise HTTPException(403, f"{_a(caller.role)} key may not do {what}; it needs {_a(role)} key")
    return caller


def _require(role: str) -> Any:
    def check(caller: Caller) -> Principal:
        return demand(caller, role)

    check.required_role = role  # type: ignore[attr-defined]  # read by noiselab.api.openapi
    return check


def _vendor(caller: Caller) -> str:
    if caller.role == "public":
        raise HTTPException(401, "ingest needs a vendor API key", headers=CHALLENGE)
    if caller.role != "vendor" or not caller.vendor:
        raise HTTPException(403, f"{_a(caller.role)} key may not ingest; it needs a vendor key")
    return caller.vendor


_vendor.required_role = "vendor"  # type: ignore[attr-defined]

RequireEngineer = Annotated[Principal, Depends(_require("engineer"))]
RequireAdmin = Annotated[Principal, Depends(_require("admin"))]
VendorKey = Annotated[str, Depends(_vendor)]
"""The vendor name of a vendor key (401 without a key, 403 for other roles)."""


def _keys(request: Request) -> KeyRegistry:
    return request.app.state.keys  # type: ignore[no-any-return]


KeysDep = Annotated[KeyRegistry, Depends(_keys)]
