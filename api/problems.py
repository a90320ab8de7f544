"""RFC 9457 problem+json responses, and the mapping from the domain's exception tree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from noiselab.api.hints import friendly
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


def api_routes(routes: Any) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every API route, also inside included routers (FastAPI includes them lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_candidates"):  # fastapi.routing._IncludedRouter
            for candidate in route.effective_candidates():
                original = getattr(candidate, "original_route", None)
                if isinstance(original, APIRoute):
                    yield candidate.path, original
                else:
                    yield from api_routes([candidate])


def allowed_methods(request: Request) -> str:
    """Every method of every route matching the request's path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for path, route in api_routes(request.app.router.routes):
        if compile_path(path)[0].match(request.url.path):
            methods.update(route.methods or ())
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
            {"loc": list(e.get("loc", ())), "msg": friendly(e), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)
