"""``noiselab compute FILE.csv``: offline daily metrics from a CSV of readings (SPEC §5), no store needed.

The shell around :mod:`processing`: read the CSV in blocks, parsed and validated into numpy columns by
:mod:`noiselab.cli.commands.readings_block` (the same parser as ``noiselab import``), roll each block up
(:func:`processing.rollups.rollup`) and merge the rollups, keep only the readings above the lowest event
threshold for event detection, then compute daily records from the merged rollups. Memory grows with the
number of (sensor, 15-min bucket) rows and loud readings, not with the number of rows in the file.

Input: a header row with ``sensor_id,ts,laeq`` (required, any case) and optional ``lafmax,lafmin,lcpeak,
interval_s``; rows in any order. ``ts`` is the START of the interval: ISO 8601 with a zone or epoch seconds.
A file with bad rows is refused as a whole: every bad row is reported on stderr with its line number and
reason (the first 50 in full), nothing is written to stdout, and the exit code is 1.
"""

from __future__ import annotations

import io
import json
import math
import sys
from functools import reduce
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import numpy as np

from noiselab.api.csv import PLAIN, CsvDialect, csv_writer
from noiselab.api.views.daily import record_columns
from noiselab.cli.commands.readings_block import BlockParser, read_blocks
from noiselab.cli.commands.readings_csv import HeaderError
from noiselab.processing.daily import daily_from_rollups
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, find_events
from noiselab.processing.periods import SCHEMES
from noiselab.processing.rollups import Rollups, merge, rollup

BUCKET_S = 900  # quarter hours align with local hours in every zone in use today (+05:45 included)
MAX_REPORTED_ERRORS = 50


def merge_all(parts: list[Rollups]) -> Rollups:
    return reduce(merge, parts)


def _binary(source: BinaryIO | TextIO) -> BinaryIO:
    if isinstance(source, io.TextIOBase):
        return io.BytesIO(source.read().encode("utf-8"))
    return source  # type: ignore[return-value]


def compute_records(
    source: BinaryIO | TextIO,
    *,
    scheme: str = "dk",
    tz: str = "Europe/Copenhagen",
    chunk_rows: int = 200_000,
    day_start_h: int | None = None,
    events: EventParams = DEFAULT_EVENTS,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Daily records from a readings CSV (binary file, or text), and the bad-row messages (no records when
    there are any). Rows are parsed and validated by :mod:`readings_block`, as ``noiselab import`` does.

    Days start at ``day_start_h`` (None: the scheme's day start, the noise day 07:00 -> 07:00; 0: calendar
    days); events follow ``events`` (threshold, merge gap, minimum duration; :mod:`processing.events`)."""
    thresholds = tuple(sorted({*events.thresholds_db, events.threshold_db}))
    if scheme not in SCHEMES:
        return [], [f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}"]

    def parser(header: list[str]) -> BlockParser:
        return BlockParser(header, now_s=math.inf, strict_width=True, source="compute")

    sensor_index: dict[str, int] = {}
    errors: list[str] = []
    rolled: list[Rollups] = []
    loud: list[tuple[np.ndarray[Any, Any], ...]] = []
    try:
        for block in read_blocks(_binary(source), parser, block_rows=chunk_rows):
            errors += [f"line {r.line}: {r.error.detail}" for r in block.refused]
            if errors or not len(block):
                continue  # keep validating to report every bad row, but compute nothing more
            to_file = np.array([sensor_index.setdefault(s, len(sensor_index)) for s in block.sensor_ids])
            sensor = to_file[block.sensor]
            start = block.start_ms / 1000.0
            cols = (block.interval_s, block.laeq, block.lafmax, block.lcpeak)
            rolled.append(rollup(sensor, start, *cols, bucket_s=BUCKET_S))
            if len(rolled) >= 16:
                rolled = [merge_all(rolled)]
            keep = block.laeq >= min(thresholds)
            loud.append(tuple(a[keep] for a in (sensor, start, block.interval_s, block.laeq, block.lafmax)))
    except HeaderError as exc:
        return [], [f"line 1: {exc}"]
    if errors:
        return [], errors
    if loud:
        s, t, d, lv, fm = (np.concatenate([p[k] for p in loud]) for k in range(5))
        found = find_events(
            s,
            t,
            d,
            lv,
            fm,
            thresholds_db=thresholds,
            merge_gap_s=events.merge_gap_s,
            min_duration_s=events.min_duration_s,
        )
    else:
        found = None
    ids = list(sensor_index)
    table = daily_from_rollups(
        merge_all(rolled) if rolled else Rollups.empty(bucket_s=BUCKET_S),
        sensor_ids=ids,
        scheme=scheme,
        tz=tz,
        day_start_h=day_start_h,
        events=found,
        event_thresholds=events.thresholds_db,
        event_params=events,
    )
    records = table.to_records()
    records.sort(key=lambda r: (r["sensor_id"], r["date"]))
    return records, []


def write_csv(records: list[dict[str, Any]], out: TextIO, *, dialect: CsvDialect = PLAIN) -> None:
    """Records as CSV: the API's daily columns without its target comparison, headers = the JSON keys
    (units: docs/api.md "CSV columns and units")."""
    if not records:
        return
    columns = record_columns(records)
    writer = csv_writer(out, dialect=dialect)
    writer.writerow([header for _, header in columns])
    for rec in records:
        writer.writerow([rec.get(key) for key, _ in columns])


def run(
    file: Path,
    *,
    scheme: str = "dk",
    tz: str = "Europe/Copenhagen",
    fmt: str = "json",
    out: TextIO | None = None,
    err: TextIO | None = None,
    chunk_rows: int = 200_000,
    day_start_h: int | None = None,
    events: EventParams = DEFAULT_EVENTS,
    dialect: CsvDialect = PLAIN,
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
    with open(file, "rb") as fh:
        records, errors = compute_records(
            fh, scheme=scheme, tz=tz, chunk_rows=chunk_rows, day_start_h=day_start_h, events=events
        )
    if errors:
        for msg in errors[:MAX_REPORTED_ERRORS]:
            print(f"{file}: {msg}", file=err)
        if len(errors) > MAX_REPORTED_ERRORS:
            print(f"{file}: ... and {len(errors) - MAX_REPORTED_ERRORS} more bad rows", file=err)
        print(f"error: {file} refused: {len(errors)} bad row(s); nothing computed", file=err)
        return 1
    if fmt == "csv":
        buf = io.StringIO()
        write_csv(records, buf, dialect=dialect)
        out.write(buf.getvalue())
    else:
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return 0
