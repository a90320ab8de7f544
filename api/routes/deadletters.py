"""Refused input kept for inspection: the dead-letter store (engineers: all; vendors: their own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from noiselab.api.auth import Caller, demand
from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import RegistryDep
from noiselab.store.registry import dumps_raw

router = APIRouter(prefix="/v1", tags=["ingest"])

COLUMNS = [
    ("id", "id"),
    ("received", "received_utc"),
    ("source", "source"),
    ("reason", "reason"),
    ("detail", "detail"),
    ("topic", "topic"),
    ("sensor_id", "sensor_id"),
    ("raw", "raw"),
    ("vendor", "vendor"),
    ("body_id", "body_id"),
    ("item_index", "item_index"),
]


def _row(letter: dict[str, Any]) -> dict[str, Any]:
    received = datetime.fromtimestamp(letter["received_ms"] / 1000, UTC).isoformat().replace("+00:00", "Z")
    keys = ("id", "source", "reason", "detail", "topic", "sensor_id", "vendor", "body_id", "item_index")
    return {**{k: letter[k] for k in keys}, "received": received, "raw": dumps_raw(letter["raw"])}


@router.get(
    "/dead-letters",
    summary="Refused payloads with their reason and raw bytes (engineer key; a vendor key sees its own)",
    description='Oldest first, at most `limit` per page; the next page is in the `Link: <...>; rel="next"` '
    "header (and `X-Next-Since-Id`), i.e. the same request with `since_id` = the last `id` of this page. "
    "A vendor key lists only what that vendor sent (its MQTT topic or its keys), so it can fix its encoder "
    "itself; an engineer key lists everything, or one vendor's with `vendor=`. Each refused item is a row; "
    'the items of one message share `body_id`, and the body (`raw`: text, or `{"hex": ...}` when it is '
    "not UTF-8) is given with the first row of that body on the page, `null` on the others. Counts per "
    "source and reason are on `/metrics` (`noiselab_refused_total`). CSV (engineers) columns: "
    + ",".join(h for _, h in COLUMNS),
)
def dead_letters(
    request: Request,
    caller: Caller,
    registry: RegistryDep,
    as_csv: AsCsv,
    since_id: Annotated[int, Query(ge=0, le=2**63 - 1, description="Return letters with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    vendor: Annotated[str | None, Query(max_length=64, description="Engineers: only this vendor's")] = None,
) -> Any:
    if caller.role == "vendor":
        if vendor is not None and vendor != caller.vendor:
            raise HTTPException(403, "a vendor key lists its own dead letters only")
        vendor = caller.vendor
    else:
        demand(caller, "engineer", "listing dead letters")
    letters = registry.dead_letters(limit=limit, since_id=since_id, vendor=vendor)
    rows = [_row(d) for d in letters]
    if not as_csv:
        seen: set[int] = set()
        for row in rows:  # the body once per page, not once per refused item
            if row["body_id"] is not None and row["body_id"] in seen:
                row["raw"] = None
            seen.add(row["body_id"])
    response = respond(rows, as_csv, COLUMNS, "dead-letters")
    if len(letters) == limit:
        if not isinstance(response, Response):
            response = JSONResponse(response)
        next_url = request.url.include_query_params(since_id=letters[-1]["id"])
        response.headers["Link"] = f'<{next_url}>; rel="next"'
        response.headers["X-Next-Since-Id"] = str(letters[-1]["id"])
    return response
