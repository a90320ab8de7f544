"""Paging of long answers (SPEC §7: long answers are paged, not refused).

A page holds at most ``limit`` rows. When more follow, the response carries the URL of the next page in a
``Link: <...>; rel="next"`` header (RFC 8288) and the bare cursor in ``X-Next-Cursor``; the next page is
the same request with ``cursor=`` set. A cursor is the UTC epoch millisecond at which the next page starts
(readings: the next reading's start; events: the next event's start), so pages never overlap and never skip:
following the links returns every row exactly once. The last page has no link.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

Cursor = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Where this page starts (from the previous page's `Link: rel=next` header)",
    ),
]


def limit_query(default: int, maximum: int) -> Any:
    return Query(ge=1, le=maximum, description=f"Rows per page (default {default}, at most {maximum})")


def next_url(request: Request, cursor: int) -> str:
    """This request's URL with ``cursor`` set (other parameters kept)."""
    return str(request.url.include_query_params(cursor=cursor))


def with_next(response: Any, request: Request, cursor: int | None) -> Any:
    """Add the next-page headers to ``response`` (a Response, or rows that FastAPI will serialise)."""
    if cursor is None:
        return response
    if not isinstance(response, Response):
        from fastapi.responses import JSONResponse

        response = JSONResponse(response)
    response.headers["Link"] = f'<{next_url(request, cursor)}>; rel="next"'
    response.headers["X-Next-Cursor"] = str(cursor)
    return response
