"""CSV for every table: ``?format=csv`` or ``Accept: text/csv``.

Columns come in a fixed order per table (the ``COLUMNS`` lists of :mod:`api.views`), with units in the
header names (``laeq_db``, ``coverage_ratio``, ``duration_s``). Times are ISO 8601 UTC; empty cells are
missing values; booleans are ``true``/``false``.

Every CSV we write (here and in the command line's exports) goes through :func:`csv_writer`, which
neutralises formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it (OWASP "CSV
injection"). Numbers are written as numbers (a negative number is not text and is left alone).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, Protocol

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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v: Any) -> Any:
    """One CSV cell: None empty, booleans ``true``/``false``, text that a spreadsheet would read as a
    formula prefixed with an apostrophe; numbers unchanged."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    return v


class _Sink(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`.

    The standard writer quotes a cell holding a character of the line terminator only; with ``\n`` as the
    terminator a bare carriage return would go out unquoted and split the row in most readers. Rows with a
    carriage return (rare) are therefore written by a second writer that quotes both."""

    def __init__(self, out: _Sink, *, lineterminator: str = "\n") -> None:
        self._out = out
        self._terminator = lineterminator
        self._writer = csv.writer(out, lineterminator=lineterminator)
        self._buf = io.StringIO()
        self._crlf = csv.writer(self._buf, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        cells = [safe_cell(v) for v in row]
        if not any(isinstance(c, str) and "\r" in c for c in cells):
            self._writer.writerow(cells)
            return
        self._buf.seek(0)
        self._buf.truncate()
        self._crlf.writerow(cells)
        self._out.write(self._buf.getvalue()[:-2] + self._terminator)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Sink, *, lineterminator: str = "\n") -> SafeCsvWriter:
    """The one CSV writer noiselab uses (API responses and command-line exports)."""
    return SafeCsvWriter(out, lineterminator=lineterminator)


def csv_response(
    rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], filename: str
) -> Response:
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([row.get(key) for key, _ in columns])
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
