"""The gate in front of every route: credentials first, then an in-process token-bucket rate limit.

Credentials: a request with an ``Authorization`` or ``X-API-Key`` header is checked before anything else
(:func:`noiselab.api.auth.authenticate`). One that is not a valid, unrevoked key takes a token from the
public bucket of its address (so made-up keys cannot skip the public limit: 429 once it is empty) and then
gets ``401`` ``application/problem+json`` with ``WWW-Authenticate``, on every route including the probes.
A valid key's :class:`~noiselab.api.auth.Principal` is left in ``scope["state"]["principal"]`` for the
``Caller`` dependency, so the key is looked up once per request.

Rate limit: an in-process token bucket for the public endpoints and for ingest.

Two kinds of bucket, each ``rate_per_s`` tokens per second up to ``burst``:

    public   requests without an API key, per client address (``scope["client"]``; behind a proxy run
             uvicorn with ``--proxy-headers --forwarded-allow-ips`` so that this is the real client)
    ingest   ``POST /v1/readings`` and ``POST /v1/ingest/{format}``, per presented key (its SHA-256, never
             the key itself), else per client address

Requests with a valid key on the read API and the probes (``/health``, ``/ready``,
``/metrics``) are not limited. A refused request gets ``429`` ``application/problem+json`` with
``Retry-After`` (whole seconds until one token is back). Limits are per process: with N API workers
a client gets up to N times the rate.

Settings are read from ``app.state.settings`` with these names (defaults in ``domain.settings.Settings``):
``rate_limit_enabled``, ``rate_limit_public_per_s``, ``rate_limit_public_burst``,
``rate_limit_ingest_per_s``, ``rate_limit_ingest_burst``, ``rate_limit_max_clients``.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from noiselab.api.auth import (
    INVALID_CREDENTIALS,
    PUBLIC,
    BadCredentials,
    Principal,
    challenge,
    identify,
    presented_key,
)
from noiselab.domain.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT_PATHS = ("/health", "/ready", "/metrics")
INGEST_PREFIXES = ("/v1/readings", "/v1/ingest/")


@dataclass
class Bucket:
    tokens: float
    at_s: float


class TokenBuckets:
    """Token buckets by client key, at most ``max_clients`` of them (least recently used dropped first).

    A dropped bucket comes back full, which is what an idle client would have anyway; an attacker
    cycling through more than ``max_clients`` addresses gets no more than that many bursts.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self.rate_per_s = float(rate_per_s)
        self.burst = int(burst)
        self.max_clients = max(1, int(max_clients))
        self.clock = clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when allowed, else the seconds until a token is back."""
        now = self.clock()
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at_s) * self.rate_per_s)
        bucket.at_s = now
        self._buckets[client] = bucket
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_s


def _setting(settings: object, name: str) -> Any:
    """A rate-limit setting; its default comes from :class:`Settings`, the one home of the defaults."""
    return getattr(settings, name, Settings.model_fields[name].default)


def classify(scope: Scope, principal: Principal = PUBLIC) -> tuple[str, str] | None:
    """(bucket kind, client key) for a request from ``principal``, or None when it is not limited."""
    path: str = scope.get("path", "")
    if path in EXEMPT_PATHS:
        return None
    address = _address(scope)
    if scope.get("method") == "POST" and path.startswith(INGEST_PREFIXES):
        if principal.key_id is not None:
            return "ingest", f"key:{principal.key_id}"
        return "ingest", "ip:" + address
    if principal is not PUBLIC:
        return None  # valid keys querying the read API
    return "public", "ip:" + address


def _problem(status: int, title: str, detail: str, reason: str) -> bytes:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "reason": reason}
    return json.dumps(body).encode()


def problem_429(retry_after_s: float, kind: str) -> tuple[dict[str, str], bytes]:
    seconds = max(1, math.ceil(retry_after_s))
    detail = f"{kind} rate limit reached; retry after {seconds} s"
    body = _problem(429, "Too many requests", detail, "rate_limited")
    return {"content-type": "application/problem+json", "retry-after": str(seconds)}, body


class RateLimitMiddleware:
    """Pure ASGI middleware (streaming and server-sent events pass through untouched)."""

    def __init__(self, app: ASGIApp, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._buckets: dict[str, TokenBuckets] | None = None
        self._enabled = True

    def _configure(self, scope: Scope) -> None:
        app = scope.get("app")
        settings = getattr(getattr(app, "state", None), "settings", None)
        self._enabled = bool(_setting(settings, "rate_limit_enabled"))
        max_clients = int(_setting(settings, "rate_limit_max_clients"))
        self._buckets = {
            kind: TokenBuckets(
                float(_setting(settings, f"rate_limit_{kind}_per_s")),
                int(_setting(settings, f"rate_limit_{kind}_burst")),
                max_clients=max_clients,
                clock=self.clock,
            )
            for kind in ("public", "ingest")
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._buckets is None:
            self._configure(scope)
        assert self._buckets is not None
        app = scope.get("app")
        keys = getattr(getattr(app, "state", None), "keys", None)
        headers = scope.get("headers", [])
        path = scope.get("path", "")
        try:
            key = presented_key(headers, path)
            principal = PUBLIC if key is None else await run_in_threadpool(identify, keys, key)
        except BadCredentials as exc:
            INVALID_CREDENTIALS.labels(exc.reason).inc()
            if self._enabled and await self._refused(scope, send, "public", "ip:" + _address(scope)):
                return
            body = _problem(401, "Unauthorized", exc.detail, "bad_credentials")
            await _send(send, 401, {"content-type": "application/problem+json", **challenge(path)}, body)
            return
        scope.setdefault("state", {})["principal"] = principal
        which = classify(scope, principal) if self._enabled else None
        if which is not None and await self._refused(scope, send, *which):
            return
        await self.app(scope, receive, send)

    async def _refused(self, scope: Scope, send: Send, kind: str, client: str) -> bool:
        """Take a token of ``kind`` for ``client``; answer 429 and return True when there is none."""
        assert self._buckets is not None
        wait_s = self._buckets[kind].take(client)
        if wait_s <= 0:
            return False
        headers, body = problem_429(wait_s, kind)
        await _send(send, 429, headers, body)
        return True


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
