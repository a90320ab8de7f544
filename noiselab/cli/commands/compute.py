"""``noiselab compute FILE.csv``: offline daily metrics from a CSV of readings (SPEC §5), no store needed.

The shell around :mod:`processing`: read the CSV in chunks, validate every row, turn each chunk into numpy
arrays, roll it up (:func:`processing.rollups.rollup`) and merge the rollups, keep only the readings above the
lowest event threshold for event detection, then compute daily records from the merged rollups. Memory grows
with the number of (sensor, 15-min bucket) rows and loud readings, not with the number of rows in the file.

Input: a header row with ``sensor_id,ts,laeq`` (required, any case) and optional ``lafmax,lafmin,lcpeak,
interval_s``; rows in any order. ``ts`` is the START of the interval: ISO 8601 with a zone or epoch seconds.
A file with bad rows is refused as a whole: every bad row is reported on stderr with its line number and
reason (the first 50 in full), nothing is written to stdout, and the exit code is 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import MAX_DB, MIN_DB, SENSOR_ID_RE, parse_time_s
from noiselab.processing.daily import daily_from_rollups
from noiselab.processing.events import find_events
from noiselab.processing.periods import SCHEMES
from noiselab.processing.rollups import Rollups, merge, rollup

REQUIRED = ("sensor_id", "ts", "laeq")
OPTIONAL = ("lafmax", "lafmin", "lcpeak", "interval_s")
BUCKET_S = 900  # quarter hours align with local hours in every zone in use today (+05:45 included)
EVENT_THRESHOLDS_DB = (65.0, 70.0)
MAX_REPORTED_ERRORS = 50
MAX_INTERVAL_S = 86_400.0


class BadRow(ValueError):
    """One CSV row that cannot be used, with the reason."""


class _Chunk:
    """Column buffers for up to ``size`` validated rows (C arrays, not Python objects per value)."""

    def __init__(self) -> None:
        self.sensor = array("q")
        self.start = array("d")
        self.interval = array("d")
        self.laeq = array("d")
        self.lafmax = array("d")
        self.lcpeak = array("d")

    def __len__(self) -> int:
        return len(self.laeq)


def _level(text: str, name: str, *, required: bool) -> float:
    text = text.strip()
    if not text:
        if required:
            raise BadRow(f"{name} is missing")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise BadRow(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(value) or not MIN_DB <= value <= MAX_DB:
        raise BadRow(f"{name} {text} is outside the plausible range {MIN_DB:g}..{MAX_DB:g} dB")
    return value


def _time(text: str) -> float:
    text = text.strip()
    if not text:
        raise BadRow("ts is missing")
    try:
        value: object = float(text)
    except ValueError:
        value = text
    try:
        return parse_time_s(value)
    except InvalidReading as exc:
        raise BadRow(exc.detail) from None


def _interval(text: str) -> float:
    text = text.strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise BadRow(f"interval_s is not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_INTERVAL_S:
        raise BadRow(f"interval_s {text} must be > 0 and at most {MAX_INTERVAL_S:g} s")
    return value


def _chunks(
    reader: Iterator[list[str]], header: list[str], sensor_index: dict[str, int], errors: list[str], size: int
) -> Iterator[_Chunk]:
    col = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    width = len(header)
    chunk = _Chunk()
    for fields in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        try:
            if len(fields) != width:
                raise BadRow(f"expected {width} fields as in the header, got {len(fields)}")
            sid = fields[col["sensor_id"]].strip()
            if not SENSOR_ID_RE.match(sid):
                raise BadRow(f"sensor_id {sid!r} must be 1-64 letters, digits, '.', '_' or '-'")
            start = _time(fields[col["ts"]])
            laeq = _level(fields[col["laeq"]], "laeq", required=True)
            lafmax = _level(fields[col["lafmax"]], "lafmax", required=False) if "lafmax" in col else math.nan
            if "lafmin" in col:
                _level(fields[col["lafmin"]], "lafmin", required=False)
            lcpeak = _level(fields[col["lcpeak"]], "lcpeak", required=False) if "lcpeak" in col else math.nan
            interval = _interval(fields[col["interval_s"]]) if "interval_s" in col else 1.0
        except BadRow as exc:
            errors.append(f"line {line}: {exc}")
            continue
        chunk.sensor.append(sensor_index.setdefault(sid, len(sensor_index)))
        chunk.start.append(start)
        chunk.interval.append(interval)
        chunk.laeq.append(laeq)
        chunk.lafmax.append(lafmax)
        chunk.lcpeak.append(lcpeak)
        if len(chunk) >= size:
            yield chunk
            chunk = _Chunk()
    if len(chunk):
        yield chunk


def compute_records(
    text: TextIO, *, scheme: str = "dk", tz: str = "Europe/Copenhagen", chunk_rows: int = 200_000
) -> tuple[list[dict[str, Any]], list[str]]:
    """Daily records from CSV text, and the bad-row messages (no records when there are any)."""
    if scheme not in SCHEMES:
        return [], [f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}"]
    reader = csv.reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], ["line 1: the file is empty; expected a header with sensor_id,ts,laeq"]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [
            f"line 1: the header lacks the required column(s) {', '.join(missing)} (have: {','.join(header)})"
        ]
    sensor_index: dict[str, int] = {}
    errors: list[str] = []
    rolled = Rollups.empty(bucket_s=BUCKET_S)
    loud: list[tuple[np.ndarray[Any, Any], ...]] = []
    for chunk in _chunks(reader, header, sensor_index, errors, chunk_rows):
        if errors:
            continue  # keep validating to report every bad row, but compute nothing more
        cols = [
            np.frombuffer(c, dtype=np.float64)
            for c in (chunk.start, chunk.interval, chunk.laeq, chunk.lafmax, chunk.lcpeak)
        ]
        sensor = np.frombuffer(chunk.sensor, dtype=np.int64)
        start, interval, laeq, lafmax, lcpeak = cols
        rolled = merge(rolled, rollup(sensor, start, interval, laeq, lafmax, lcpeak, bucket_s=BUCKET_S))
        keep = laeq > min(EVENT_THRESHOLDS_DB)
        loud.append(tuple(np.array(a[keep]) for a in (sensor, start, interval, laeq, lafmax)))
    if errors:
        return [], errors
    if loud:
        s, t, d, lv, fm = (np.concatenate([p[k] for p in loud]) for k in range(5))
        events = find_events(s, t, d, lv, fm, thresholds_db=EVENT_THRESHOLDS_DB)
    else:
        events = None
    ids = list(sensor_index)
    table = daily_from_rollups(
        rolled, sensor_ids=ids, scheme=scheme, tz=tz, events=events, event_thresholds=EVENT_THRESHOLDS_DB
    )
    records = table.to_records()
    records.sort(key=lambda r: (r["sensor_id"], r["date"]))
    return records, []


_UNITLESS = {"sensor_id", "date", "coverage", "valid"}


def _csv_name(key: str) -> str:
    if key in _UNITLESS or key.startswith(("coverage_", "n_events_")):
        return key
    return f"{key}_db"


def write_csv(records: list[dict[str, Any]], out: TextIO) -> None:
    """Records as CSV, same columns as JSON with units in level column names (``lden_db``)."""
    if not records:
        return
    keys = list(records[0])
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_csv_name(k) for k in keys])
    for rec in records:
        writer.writerow(
            [
                ""
                if rec[k] is None
                else ("true" if rec[k] is True else "false" if rec[k] is False else rec[k])
                for k in keys
            ]
        )


def run(
    file: Path,
    *,
    scheme: str = "dk",
    tz: str = "Europe/Copenhagen",
    fmt: str = "json",
    out: TextIO | None = None,
    err: TextIO | None = None,
    chunk_rows: int = 200_000,
) -> int:
    """Compute daily records from ``file`` and print them; returns the process exit code (0 ok, 1 refused)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        print(f"error: unknown time zone {tz!r} (use an IANA name such as Europe/Copenhagen)", file=err)
        return 2
    with open(file, newline="", encoding="utf-8-sig") as fh:
        records, errors = compute_records(fh, scheme=scheme, tz=tz, chunk_rows=chunk_rows)
    if errors:
        for msg in errors[:MAX_REPORTED_ERRORS]:
            print(f"{file}: {msg}", file=err)
        if len(errors) > MAX_REPORTED_ERRORS:
            print(f"{file}: ... and {len(errors) - MAX_REPORTED_ERRORS} more bad rows", file=err)
        print(f"error: {file} refused: {len(errors)} bad row(s); nothing computed", file=err)
        return 1
    if fmt == "csv":
        buf = io.StringIO()
        write_csv(records, buf)
        out.write(buf.getvalue())
    else:
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return 0
