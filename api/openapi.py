"""The OpenAPI document, made to tell the truth: shared response declarations and one pass over the routes.

Declaring a route's responses: most of them are derived here, so a route declares only what is special to
it. Every operation gets ``401`` (any ``Authorization``/``X-API-Key`` that is not a valid key is refused on
every route) and optional security (``{}`` beside the two key schemes) unless a role is required; ``403``
where a role is required or CSV is offered (:data:`noiselab.api.csv.AsCsv`); ``404`` when the path has
parameters; ``422`` when it has parameters or a body; ``429`` unless it is a probe; ``503`` when it reads
the store or the registry; ``text/csv`` beside JSON on the ``200`` of every route with ``AsCsv``. Anything
else a route can answer, it declares with ``responses=problems(409, 413)`` (and its own ``200``/``201``
examples); every error answer is ``application/problem+json`` with the :data:`PROBLEM_SCHEMA`.

Where a schema cannot say everything that is refused, the operation says it in words: its ``422`` lists
the refusals of data the schema calls valid, and ``x-refused-when-valid`` holds the same list for tools
(``faults/schema.py`` lets schemathesis expect a 422 there and nowhere else). Derived here for every
range of dates (``end`` before ``start``, too many days); a route adds its own with
``openapi_extra=refused_when_valid("...")``, and :mod:`noiselab.api.bodies` adds a single ingest reading.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from noiselab.api import bodies, deps
from noiselab.api import csv as csv_module
from noiselab.api.problems import api_routes
from noiselab.api.ratelimit import EXEMPT_PATHS
from noiselab.api.views.query import EARLIEST, LATEST

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `reason` is a stable machine-readable name where there is one",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["about:blank"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "reason": {"type": "string", "examples": ["rate_limited", "bad_json", "out_of_range"]},
        "errors": {
            "type": "array",
            "description": "Validation errors (422 Invalid request): where and why",
            "items": {"type": "object"},
        },
    },
}
DESCRIPTIONS = {
    400: "Bad request",
    401: "No key where one is needed, or an `Authorization`/`X-API-Key` header that is not a valid key",
    403: "A valid key without the role this needs",
    404: "Not found (a sensor the caller may not see is not found either)",
    405: "Method not allowed (the `Allow` header lists the methods of this path)",
    408: "The request body did not arrive in time",
    409: "Conflict with what exists",
    413: "Body larger than the limit (`NOISELAB_MAX_BODY_BYTES`)",
    422: "Invalid request: a parameter or the body is out of its declared range, or inconsistent",
    429: "Rate limit reached (`Retry-After` says when to retry)",
    503: "Store or registry unavailable; retry later",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "The accepted schemes", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds until a request is allowed", "schema": {"type": "string"}}},
}
DATE_PATTERN = f"^{EARLIEST.year // 100}[0-9]{{2}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
"""Dates from the 2000s to the 2090s (EARLIEST..LATEST of :mod:`noiselab.api.views.query`)."""
SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
REFUSED_WHEN_VALID = "x-refused-when-valid"
RANGE_REFUSED = "a range of dates the schema cannot bound: `end` before `start`, or more days than allowed"
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Response declarations for these error statuses, to pass as a route's ``responses=``."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        declared: dict[str, Any] = {
            "description": DESCRIPTIONS.get(code, "Error"),
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if code in _HEADERS:
            declared["headers"] = _HEADERS[code]
        out[code] = declared
    return out


def refused_when_valid(*reasons: str) -> dict[str, Any]:
    """``openapi_extra`` of a route that answers 422 to data its schema calls valid: why, in words."""
    return {REFUSED_WHEN_VALID: list(reasons)}


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _traits(route: APIRoute) -> dict[str, Any]:
    calls = list(_calls(route.dependant))
    roles = [getattr(c, "required_role", None) for c in calls]
    return {
        "role": next((r for r in roles if r), None),
        "csv": csv_module._as_csv in calls,  # the dependency is the marker
        "store": any(c in calls for c in (deps._store, deps._registry)),
    }


def _operation_responses(path: str, op: dict[str, Any], traits: dict[str, Any]) -> dict[int, bool]:
    has_params = bool(op.get("parameters")) or "requestBody" in op
    names = {p.get("name") for p in op.get("parameters", [])}
    return {
        401: True,
        403: bool(traits["role"] or traits["csv"]),
        400: "requestBody" in op,  # a body that cannot be parsed at all
        404: "{" in path or bool(names & {"sensor", "sensor_id"}),
        422: has_params,
        429: path not in EXEMPT_PATHS,
        503: bool(traits["store"]),
    }


def _bound_dates(op: dict[str, Any]) -> None:
    """Date and date-time parameters: the accepted range as a pattern and in words."""
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        for variant in [schema, *schema.get("anyOf", [])]:
            if variant.get("format") in ("date", "date-time") and "pattern" not in variant:
                variant["pattern"] = DATE_PATTERN + ("$" if variant["format"] == "date" else "T")
                param["description"] = (
                    param.get("description", "") + f" Between {EARLIEST} and {LATEST}."
                ).strip()


def _fix_operation(path: str, op: dict[str, Any], traits: dict[str, Any]) -> None:
    _bound_dates(op)
    responses: dict[str, Any] = op.setdefault("responses", {})
    wanted = [code for code, on in _operation_responses(path, op, traits).items() if on]
    for code, declared in problems(*wanted).items():
        responses.setdefault(str(code), declared)
    for code, declared in list(responses.items()):
        if code.isdigit() and int(code) >= 400:  # every error is problem+json, whatever a route wrote
            kept = {k: v for k, v in declared.items() if k != "content"}
            responses[code] = {**problems(int(code))[int(code)], **kept}
    names = {p.get("name") for p in op.get("parameters", [])}
    reasons = [*op.get(REFUSED_WHEN_VALID, []), *([RANGE_REFUSED] if {"start", "end"} <= names else [])]
    if reasons:
        op[REFUSED_WHEN_VALID] = list(dict.fromkeys(reasons))
        say_refused(op)
    if traits["csv"]:
        for code in ("200", "201"):
            if code in responses:
                responses[code].setdefault("content", {}).update(copy.deepcopy(CSV_CONTENT))
    if traits["role"] is None:
        op["security"] = [*SECURITY, {}]  # optional: public without a key, more with one
    else:
        op["security"] = list(SECURITY)


def say_refused(op: dict[str, Any]) -> None:
    """The ``422`` of ``op`` names its ``x-refused-when-valid`` reasons in its description."""
    reasons = op.get(REFUSED_WHEN_VALID, [])
    declared = op.setdefault("responses", {}).setdefault("422", problems(422)[422])
    said = declared.get("description", DESCRIPTIONS[422]).split("; also ")[0]  # idempotent
    declared["description"] = said + "".join(f"; also {reason}" for reason in reasons)


def build(app: FastAPI, original: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The document FastAPI derives, then the shared declarations applied to every operation."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = original()
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {}).update(
        {
            "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "API key as a bearer token"},
            "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    )
    for schema in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(schema, None)
    routes = {(path, m.lower()): r for path, r in api_routes(app.routes) for m in r.methods or ()}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            route = routes.get((path, method))
            traits = _traits(route) if route is not None else {"role": None, "csv": False, "store": False}
            _fix_operation(path, op, traits)
    bodies.expand_ingest(doc)
    app.openapi_schema = doc
    return doc


def install(app: FastAPI) -> None:
    """Serve the corrected document at ``/openapi.json`` (built once, on first request)."""
    original = app.openapi
    app.openapi = lambda: build(app, original)  # type: ignore[method-assign]
