"""Strict query strings: a query parameter that the route does not declare is refused (SPEC §7).

One app-wide dependency (:func:`reject_unknown_query`, installed by :func:`noiselab.api.app.create_app`)
reads the declared query parameters of the route that matched, from FastAPI's own dependency tree (the
route's parameters and those of every dependency it uses), so a new route or a new parameter is covered
without a list to maintain. An unknown name is a 422 problem naming it and the accepted ones: a typo such as
``?schem=eu`` must not quietly return the default scheme's numbers.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_DECLARED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_query_names(route: APIRoute) -> frozenset[str]:
    """Names (aliases) of every query parameter the route accepts, its dependencies' included."""
    names = _DECLARED.get(id(route))
    if names is None:
        names = frozenset(_query_names(route.dependant))
        _DECLARED[id(route)] = names
    return names


def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the matched route does not declare (each named, with the accepted ones)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    known = declared_query_names(route)
    unknown = [k for k in dict.fromkeys(request.query_params.keys()) if k not in known]
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"unknown query parameter {name!r}; this route accepts: {accepted}",
                    "type": "unknown_parameter",
                }
                for name in unknown
            ]
        )
