"""A sensor sheet: one CSV row per sensor that registers, names, places and publishes it in one step.

Columns (header row, any order, only ``id`` required)::

    id,name,lat,lon,area,facade,public
    vall-01,Vallensbæk Torvevej 3,55.6190,12.3860,housing,yes,yes

- ``id``: the sensor id as in the readings (``sensor_id`` is accepted too).
- ``name``: what residents see (up to 200 characters).
- ``lat``/``lon``: WGS84 degrees, both or neither; giving them places the sensor. A decimal comma is read.
- ``area``: land use at the receiver, one of :data:`noiselab.domain.targets.AREA_CATEGORIES`.
- ``facade`` (or ``façade``), ``public``: yes/no, true/false, ja/nej, 1/0.

An empty cell leaves that field as it is (a new sensor gets the defaults: not public, not on a façade).
The separator is ``,`` or, as Danish spreadsheets write it, ``;``; a UTF-8 byte order mark is fine.
:func:`read_sheet` checks the whole sheet first and raises :class:`SheetError` with every problem and its
line number; :func:`apply_sheet` then writes the registry (and the audit log), so a bad sheet changes
nothing.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noiselab.domain.readings import valid_sensor_id
from noiselab.domain.targets import AREA_CATEGORIES
from noiselab.store.registry import Registry, Sensor

COLUMNS = ("id", "name", "lat", "lon", "area", "facade", "public")
ALIASES = {"sensor_id": "id", "façade": "facade", "area_category": "area"}
TRUE = {"yes", "y", "true", "1", "ja", "j", "x"}
FALSE = {"no", "n", "false", "0", "nej"}
MAX_NAME = 200
MAX_PROBLEMS = 50  # listed one by one; the rest are counted


class SheetError(ValueError):
    """The sheet cannot be applied; ``problems`` are whole sentences, each with its line number."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        text = "\n".join(f"  {p}" for p in shown) + (f"\n  ... and {more} more" if more else "")
        super().__init__(f"sensor sheet {path} was not applied (nothing changed):\n{text}")


@dataclass(frozen=True)
class SheetRow:
    line: int
    sensor_id: str
    fields: dict[str, Any]  # registry field name -> value, only the cells that were filled in


@dataclass
class SheetResult:
    registered: list[str] = field(default_factory=list)  # new registry entries
    updated: list[str] = field(default_factory=list)  # existing entries changed
    placed: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)

    def lines(self, path: Path) -> list[str]:
        return [
            f"sensor sheet {path.name}: {len(self.registered)} sensors registered, "
            f"{len(self.updated)} updated; {len(self.placed)} placed, {len(self.public)} public"
        ]


def _decimal(cell: str, column: str) -> float:
    text = cell.replace(",", ".") if "." not in cell else cell
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{column} must be a number, got {cell!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{column} must be a finite number, got {cell!r}")
    return value


def _flag(cell: str, column: str) -> bool:
    word = cell.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"{column} must be yes or no (true/false, ja/nej, 1/0), got {cell!r}")


def _cell(column: str, cell: str) -> tuple[str, Any]:
    """(registry field, value) of one filled-in cell; ValueError with a sentence when it is wrong."""
    if column == "name":
        if len(cell) > MAX_NAME:
            raise ValueError(f"name is longer than {MAX_NAME} characters")
        if any(ord(ch) < 32 for ch in cell):
            raise ValueError("name contains a control character (a line break or tab?)")
        return "name", cell
    if column in ("lat", "lon"):
        value = _decimal(cell, column)
        limit = 90 if column == "lat" else 180
        if not -limit <= value <= limit:
            raise ValueError(f"{column} {value} is outside -{limit}..{limit} degrees")
        return column, value
    if column == "area":
        if cell.lower() not in AREA_CATEGORIES:
            raise ValueError(f"area must be one of {', '.join(AREA_CATEGORIES)}, got {cell!r}")
        return "area_category", cell.lower()
    return column, _flag(cell, column)  # facade, public


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, [])
    rows: list[tuple[int, list[str]]] = []
    while True:
        first_line = reader.line_num + 1  # a quoted cell may span lines: the row's first line is named
        row = next(reader, None)
        if row is None:
            return header, rows
        rows.append((first_line, row))


def read_sheet(path: Path) -> list[SheetRow]:
    """Every row of the sheet, checked; :class:`SheetError` lists all problems of a bad one."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(path, [f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except OSError as exc:
        raise SheetError(path, [f"cannot read the file: {exc.strerror}"]) from exc
    try:
        header, rows = _rows(text)
    except csv.Error as exc:
        raise SheetError(path, [f"not a CSV file: {exc}"]) from exc
    columns = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    problems = []
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; use {','.join(COLUMNS)}")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        problems.append(f"line 1: column(s) given twice: {', '.join(twice)}")
    if "id" not in columns:
        problems.append(f"line 1: no id column; the header must name the columns ({','.join(COLUMNS)})")
    if problems:
        raise SheetError(path, problems)
    out: list[SheetRow] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            problems.append(f"line {line}: {len(row)} cells but the header names {len(columns)} columns")
            continue
        cells = {c: v.strip() for c, v in zip(columns, row, strict=False)}
        sensor_id = cells.pop("id", "")
        if not valid_sensor_id(sensor_id):
            problems.append(
                f"line {line}: id {sensor_id!r} is not a sensor id (letters, digits, '.', '_', '-'; "
                "up to 64 characters)"
            )
            continue
        if sensor_id in seen:
            problems.append(f"line {line}: sensor {sensor_id} is on line {seen[sensor_id]} already")
            continue
        seen[sensor_id] = line
        fields: dict[str, Any] = {}
        for column, cell in cells.items():
            if not cell:
                continue
            try:
                key, value = _cell(column, cell)
            except ValueError as exc:
                problems.append(f"line {line} ({sensor_id}): {exc}")
                continue
            fields[key] = value
        if bool(cells.get("lat")) != bool(cells.get("lon")):
            problems.append(f"line {line} ({sensor_id}): give both lat and lon, or neither")
            continue
        out.append(SheetRow(line, sensor_id, fields))
    if problems:
        raise SheetError(path, problems)
    if not out:
        raise SheetError(path, ["the sheet has no sensor rows"])
    return out


def apply_sheet(registry: Registry, rows: Sequence[SheetRow], *, actor: str = "cli") -> SheetResult:
    """Register or update each sensor of a checked sheet; a sensor with lat and lon is placed."""
    result = SheetResult()
    now_ms = int(time.time() * 1000)
    for row in rows:
        existing = registry.get_sensor(row.sensor_id)
        sensor = existing or Sensor(row.sensor_id, created_ms=now_ms)
        for key, value in row.fields.items():
            setattr(sensor, key, value)
        if "lat" in row.fields:
            sensor.placed = True
        registry.upsert_sensor(sensor)
        (result.updated if existing else result.registered).append(row.sensor_id)
        if sensor.placed:
            result.placed.append(row.sensor_id)
        if sensor.public:
            result.public.append(row.sensor_id)
        audit = getattr(registry, "audit", None)
        if audit is not None:
            action = "sensor.update" if existing else "sensor.create"
            audit.record(actor, action, f"sensor:{row.sensor_id}", {"sheet_line": row.line, **row.fields})
    return result


def checked(path: Path) -> list[SheetRow]:
    """:func:`read_sheet` for the command line: a bad sheet ends the command with exit status 2 and every
    problem listed, before anything is written."""
    import click

    class BadSheet(click.ClickException):
        exit_code = 2

    try:
        return read_sheet(path)
    except SheetError as exc:
        raise BadSheet(str(exc)) from exc


def run(settings: Any, path: Path) -> SheetResult:
    """``noiselab sensors apply SHEET``: check the sheet, apply it to the registry, say what changed."""
    import click

    from noiselab.cli.wiring import open_registry

    rows = checked(path)
    registry = open_registry(settings)
    try:
        result = apply_sheet(registry, rows)
    finally:
        registry.close()
    for line in result.lines(path):
        click.echo(line)
    return result
