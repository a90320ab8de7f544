"""CSV for every table: ``?format=csv`` or ``Accept: text/csv``.

Columns come in a fixed order per table (the ``COLUMNS`` lists of :mod:`api.views`), with units in the
header names (``laeq_db``, ``coverage_ratio``, ``duration_s``). Times are ISO 8601 UTC; empty cells are
missing values; booleans are ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response

from noiselab.api.auth import Caller

Format = Literal["json", "csv"]
CSV_TYPE = "text/csv; charset=utf-8"


def _as_csv(
    request: Request,
    caller: Caller,
    format: Annotated[
        Format | None,
        Query(description="`csv` for a CSV export (engineer key), `json` (default) otherwise"),
    ] = None,
) -> bool:
    """True for ``?format=csv`` or an Accept header preferring text/csv; CSV needs an engineer key."""
    if format is not None:
        csv_asked = format == "csv"
    else:
        accept = request.headers.get("accept", "")
        csv_asked = "text/csv" in accept and "application/json" not in accept
    if csv_asked and not caller.engineer:
        if caller.role == "public":
            raise HTTPException(
                401, "CSV exports need an engineer API key", headers={"WWW-Authenticate": "Bearer"}
            )
        raise HTTPException(403, "CSV exports need an engineer API key")
    return csv_asked


AsCsv = Annotated[bool, Depends(_as_csv)]


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def csv_response(
    rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], filename: str
) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key, _ in columns])
    return Response(
        buf.getvalue(),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def respond(
    rows: list[dict[str, Any]], as_csv: bool, columns: Sequence[tuple[str, str]], filename: str
) -> Any:
    """The rows as JSON (the list itself) or as CSV."""
    return csv_response(rows, columns, filename) if as_csv else rows
