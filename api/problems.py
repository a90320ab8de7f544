"""RFC 9457 problem+json responses, and the mapping from the domain's exception tree."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from noiselab.domain.errors import (
    ConfigError,
    InvalidReading,
    NoiselabError,
    NotAllowed,
    StoreUnavailable,
    UnknownFormat,
    UnknownSensor,
)

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


_STATUS: list[tuple[type[NoiselabError], int, str]] = [
    (InvalidReading, 422, "Invalid reading"),
    (UnknownFormat, 404, "Unknown format"),
    (UnknownSensor, 404, "Unknown sensor"),
    (NotAllowed, 403, "Not allowed"),
    (StoreUnavailable, 503, "Store unavailable"),
    (ConfigError, 500, "Configuration error"),
]


def allowed_methods(request: Request) -> str:
    """Every method of every route matching the request's path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(NoiselabError)
    async def _domain(request: Request, exc: NoiselabError) -> JSONResponse:
        for cls, status, title in _STATUS:
            if isinstance(exc, cls):
                extra = {"reason": exc.reason} if isinstance(exc, InvalidReading) else {}
                return problem(
                    status, title, exc.detail if isinstance(exc, InvalidReading) else str(exc), **extra
                )
        return problem(500, "Error", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            408: "Request timeout",
            409: "Conflict",
            413: "Payload too large",
            429: "Too many requests",
        }.get(exc.status_code, "Error")
        resp = problem(exc.status_code, title, str(exc.detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        if exc.status_code == 405:
            resp.headers["Allow"] = allowed_methods(request)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)
