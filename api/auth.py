"""Roles and API keys.

    public    no key: public sensors' registry entries, current level, daily/annual summaries, compliance,
              events, 15min/1h/1d levels, targets, FIWARE view (JSON only)
    vendor    a vendor key: ingest for its own sensors (``VendorKey``); reads like public
    engineer  everything read-only: all sensors (also unplaced and private ones), raw and 1min levels, CSV
    admin     engineer + create/edit sensors, custom target profiles, keys

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. No key = public; a key that is
unknown or revoked = 401 (never silently public); a valid key without the role needed = 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from noiselab.store.keys import ApiKeys

RANK = {"public": 0, "vendor": 0, "engineer": 1, "admin": 2}

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
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="noiselab"'}


def _principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Principal:
    key = bearer.credentials if bearer is not None else header
    if not key:
        return PUBLIC
    keys: ApiKeys = request.app.state.keys
    found = keys.verify(key)
    if found is None:
        raise HTTPException(401, "unknown or revoked API key", headers=_CHALLENGE)
    return Principal(found.role, found.vendor, found.key_id)


Caller = Annotated[Principal, Depends(_principal)]


def demand(caller: Principal, role: str, what: str = "this") -> Principal:
    """``caller`` if it has ``role`` (or a higher one); else 401 for the public, 403 for other keys."""
    if caller.role == "public":
        raise HTTPException(401, f"{what} needs an {role} API key", headers=_CHALLENGE)
    if RANK[caller.role] < RANK[role] or (caller.role == "vendor" and role != "vendor"):
        raise HTTPException(403, f"a {caller.role} key may not do {what}; it needs an {role} key")
    return caller


def _require(role: str):  # type: ignore[no-untyped-def]
    def check(caller: Caller) -> Principal:
        return demand(caller, role)

    return check


def _vendor(caller: Caller) -> str:
    if caller.role == "public":
        raise HTTPException(401, "ingest needs a vendor API key", headers=_CHALLENGE)
    if caller.role != "vendor" or not caller.vendor:
        raise HTTPException(403, f"a {caller.role} key may not ingest; it needs a vendor key")
    return caller.vendor


RequireEngineer = Annotated[Principal, Depends(_require("engineer"))]
RequireAdmin = Annotated[Principal, Depends(_require("admin"))]
VendorKey = Annotated[str, Depends(_vendor)]
"""The vendor name of a vendor key (401 without a key, 403 for other roles)."""


def _keys(request: Request) -> ApiKeys:
    return request.app.state.keys  # type: ignore[no-any-return]


KeysDep = Annotated[ApiKeys, Depends(_keys)]
