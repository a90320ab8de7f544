"""Refused input kept for inspection: the dead-letter store (engineers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from noiselab.api.auth import RequireEngineer
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
]


def _row(letter: dict[str, Any]) -> dict[str, Any]:
    received = datetime.fromtimestamp(letter["received_ms"] / 1000, UTC).isoformat().replace("+00:00", "Z")
    return {
        **{k: letter[k] for k in ("id", "source", "reason", "detail", "topic", "sensor_id")},
        "received": received,
        "raw": dumps_raw(letter["raw"]),
    }


@router.get(
    "/dead-letters",
    summary="Refused payloads with their reason and raw bytes (engineer key)",
    description="Oldest first; page with `since_id` (the last `id` you saw). `raw` is the body as text, or "
    '`{"hex": ...}` when it is not UTF-8. Counts per source and reason are on `/metrics` '
    "(`noiselab_refused_total`). CSV columns: " + ",".join(h for _, h in COLUMNS),
)
def dead_letters(
    _: RequireEngineer,
    registry: RegistryDep,
    as_csv: AsCsv,
    since_id: Annotated[int, Query(ge=0, le=2**63 - 1, description="Return letters with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    rows = [_row(d) for d in registry.dead_letters(limit=limit, since_id=since_id)]
    return respond(rows, as_csv, COLUMNS, "dead-letters")
