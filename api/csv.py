"""CSV for every table: ``?format=csv`` or ``Accept: text/csv``.

Columns come in a fixed order per table (the ``COLUMNS`` lists of :mod:`api.views`). A metric table's
header names are its JSON keys, the SPEC §5 record keys (``date``, ``lden``, ``coverage``), the same names
``noiselab compute`` and ``noiselab export`` write; the units are documented once, in docs/api.md ("CSV
columns and units"). Times are ISO 8601 UTC; empty cells are missing values; booleans are ``true``/``false``.

Two dialects (:data:`DIALECTS`): ``plain`` (``,``, decimal point, ``\n``) and ``excel-dk`` for Danish
spreadsheets (``;``, decimal comma, CRLF, a UTF-8 byte order mark so Excel reads UTF-8): ``?dialect=excel-dk``
here, ``--dialect excel-dk`` on the command line.

Every CSV we write (here and in the command line's exports) goes through :func:`csv_writer`, which
neutralises formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it (OWASP "CSV
injection"). Numbers are written as numbers (a negative number is not text and is left alone).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response

from noiselab.api.auth import Caller
from noiselab.api.views.query import bad_query

Format = Literal["json", "csv"]
DialectName = Literal["plain", "excel-dk"]
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class CsvDialect:
    """How cells are separated and numbers written."""

    name: str
    delimiter: str = ","
    decimal: str = "."
    bom: bool = False
    lineterminator: str = "\n"


PLAIN = CsvDialect("plain")
EXCEL_DK = CsvDialect("excel-dk", delimiter=";", decimal=",", bom=True, lineterminator="\r\n")
DIALECTS: dict[str, CsvDialect] = {d.name: d for d in (PLAIN, EXCEL_DK)}


@dataclass(frozen=True)
class CsvRequest:
    """What the request asked for: CSV or not (``bool(request)``), and in which dialect."""

    asked: bool
    dialect: CsvDialect = PLAIN

    def __bool__(self) -> bool:
        return self.asked


def _as_csv(
    request: Request,
    caller: Caller,
    format: Annotated[
        Format | None,
        Query(description="`csv` for a CSV export (engineer key), `json` (default) otherwise"),
    ] = None,
    dialect: Annotated[
        DialectName | None,
        Query(
            description="CSV dialect: `plain` (default; `,` and a decimal point) or `excel-dk` for Danish "
            "spreadsheets (`;`, decimal comma, UTF-8 byte order mark); implies CSV"
        ),
    ] = None,
) -> CsvRequest:
    """CSV for ``?format=csv``, ``?dialect=...`` or an Accept header preferring text/csv; CSV needs an
    engineer key."""
    if format == "json" and dialect is not None:
        raise bad_query("dialect", f"dialect={dialect} applies to CSV; drop it or ask format=csv")
    if format is not None:
        csv_asked = format == "csv"
    elif dialect is not None:
        csv_asked = True
    else:
        accept = request.headers.get("accept", "")
        csv_asked = "text/csv" in accept and "application/json" not in accept
    if csv_asked and not caller.engineer:
        if caller.role == "public":
            raise HTTPException(
                401, "CSV exports need an engineer API key", headers={"WWW-Authenticate": "Bearer"}
            )
        raise HTTPException(403, "CSV exports need an engineer API key")
    return CsvRequest(csv_asked, DIALECTS[dialect or "plain"])


AsCsv = Annotated[CsvRequest, Depends(_as_csv)]


def key_columns(*keys: str) -> list[tuple[str, str]]:
    """CSV columns whose headers are the JSON keys themselves (every metric table)."""
    return [(key, key) for key in keys]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v: Any, decimal: str = ".") -> Any:
    """One CSV cell: None empty, booleans ``true``/``false``, text that a spreadsheet would read as a
    formula prefixed with an apostrophe; numbers unchanged (a float with ``decimal`` as its separator)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    if decimal != "." and isinstance(v, float):
        return repr(v).replace(".", decimal)
    return v


class _Sink(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`.

    The standard writer quotes a cell holding a character of the line terminator only; with ``\n`` as the
    terminator a bare carriage return would go out unquoted and split the row in most readers. Rows with a
    carriage return (rare) are therefore written by a second writer that quotes both."""

    def __init__(self, out: _Sink, *, dialect: CsvDialect = PLAIN) -> None:
        self._out = out
        self._terminator = dialect.lineterminator
        self._decimal = dialect.decimal
        sep = dialect.delimiter
        self._writer = csv.writer(out, delimiter=sep, lineterminator=dialect.lineterminator)
        self._buf = io.StringIO()
        self._crlf = csv.writer(self._buf, delimiter=sep, lineterminator="\r\n")
        if dialect.bom:
            out.write("\ufeff")

    def writerow(self, row: Iterable[Any]) -> None:
        cells = [safe_cell(v, self._decimal) for v in row]
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


def csv_writer(out: _Sink, *, dialect: CsvDialect = PLAIN) -> SafeCsvWriter:
    """The one CSV writer noiselab uses (API responses and command-line exports); with ``EXCEL_DK`` the byte
    order mark is written at once."""
    return SafeCsvWriter(out, dialect=dialect)


def csv_response(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    filename: str,
    dialect: CsvDialect = PLAIN,
) -> Response:
    buf = io.StringIO()
    writer = csv_writer(buf, dialect=dialect)
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([row.get(key) for key, _ in columns])
    return Response(
        buf.getvalue(),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def respond(
    rows: list[dict[str, Any]], as_csv: CsvRequest | bool, columns: Sequence[tuple[str, str]], filename: str
) -> Any:
    """The rows as JSON (the list itself) or as CSV (in the request's dialect)."""
    if not as_csv:
        return rows
    dialect = as_csv.dialect if isinstance(as_csv, CsvRequest) else PLAIN
    return csv_response(rows, columns, filename, dialect)
