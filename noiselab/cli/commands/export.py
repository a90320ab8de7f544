"""``noiselab export``: readings to CSV with the import columns (SPEC §5), streamed in bounded chunks.

``--start``/``--end`` take a local date (``2026-06-01``, in the configured time zone; the end date is
included) or an ISO 8601 time with a zone (exact; the end is excluded). Memory stays bounded whatever the
period: the store is read ``chunk_rows`` readings at a time.

On a terminal a progress bar (on stderr, over each sensor's share of the period) is the only thing shown while
the file is written; log lines go to ``DATA_DIR/export.log`` (or ``--log-file``) meanwhile, warnings are
shown after the bar. The CSV itself goes to ``--out`` or stdout, never mixed with either.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from noiselab.api.csv import DIALECTS, PLAIN, CsvDialect, csv_writer
from noiselab.cli.commands.readings_csv import COLUMNS, format_block, format_row
from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import parse_time_s
from noiselab.store.base import ReadingColumns, ReadingStore

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bound_ms(text: str, tz: str, *, end: bool) -> int:
    """A command-line bound in UTC epoch ms: a local date (end: the next midnight) or a zoned time."""
    text = text.strip()
    if DATE_RE.match(text):
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
        return int(local.timestamp() * 1000)
    return round(parse_time_s(text, what="--end" if end else "--start") * 1000)


@dataclass(frozen=True)
class Chunk:
    sensor_id: str
    columns: ReadingColumns


def chunks(
    store: ReadingStore, sensor_ids: Iterable[str], start_ms: int, end_ms: int, *, chunk_rows: int = 50_000
) -> Iterator[Chunk]:
    """Readings of each sensor in [start_ms, end_ms), ordered by start, ``chunk_rows`` at a time."""
    for sensor_id in sensor_ids:
        lo = start_ms
        while lo < end_ms:
            cols = store.read(sensor_id, lo, end_ms, limit=chunk_rows)
            if len(cols) == 0:
                break
            yield Chunk(sensor_id, cols)
            if len(cols) < chunk_rows:
                break
            lo = int(cols.start_ms[-1]) + 1


def rows(chunk: Chunk) -> Iterator[list[str]]:
    c = chunk.columns
    for t, iv, la, fmax, fmin, peak in zip(
        c.start_ms.tolist(),
        c.interval_s.tolist(),
        c.laeq.tolist(),
        c.lafmax.tolist(),
        c.lafmin.tolist(),
        c.lcpeak.tolist(),
        strict=True,
    ):
        yield format_row(chunk.sensor_id, t, la, fmax, fmin, peak, iv)


def text(chunk: Chunk) -> str:
    """:func:`rows` of a chunk as the plain CSV writer writes them (vectorised, :func:`format_block`)."""
    c = chunk.columns
    return format_block(chunk.sensor_id, c.start_ms, c.laeq, c.lafmax, c.lafmin, c.lcpeak, c.interval_s)


class HashingWriter:
    """A text sink that also feeds a SHA-256 of the UTF-8 bytes written (the report's input hash)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()

    def write(self, text: str) -> int:
        self.sha256.update(text.encode("utf-8"))
        if self.out is not None:
            self.out.write(text)
        return len(text)


def write_csv(
    out: TextIO | HashingWriter,
    store: ReadingStore,
    sensor_ids: Iterable[str],
    start_ms: int,
    end_ms: int,
    *,
    chunk_rows: int = 50_000,
    dialect: CsvDialect = PLAIN,
    progress: Callable[[int], None] = lambda _ms: None,
) -> int:
    """Write the header and every reading; returns the number of readings written. ``EXCEL_DK`` is for
    spreadsheets (``;``, decimal comma, byte order mark): ``noiselab import`` reads the plain dialect.
    ``progress(ms)`` is told how much of each sensor's period is written (``end_ms - start_ms`` a sensor)."""
    writer = csv_writer(out, dialect=dialect)
    writer.writerow(COLUMNS)
    n = 0
    for sensor_id in sensor_ids:
        done = start_ms
        for chunk in chunks(store, [sensor_id], start_ms, end_ms, chunk_rows=chunk_rows):
            if dialect == PLAIN:  # the same bytes as the writer's, formatted a chunk at a time
                out.write(text(chunk))
            else:
                writer.writerows(rows(chunk))
            n += len(chunk.columns)
            reached = min(end_ms, int(chunk.columns.start_ms[-1]) + 1)
            progress(reached - done)
            done = reached
        progress(end_ms - done)
    return n


def _output(out_path: str) -> AbstractContextManager[TextIO]:
    """stdout for ``-`` (left open), else the file."""
    if out_path == "-":
        return nullcontext(sys.stdout)
    return open(out_path, "w", newline="", encoding="utf-8")


def run(
    settings: object,
    *,
    sensors: tuple[str, ...],
    start: str,
    end: str,
    out_path: str,
    chunk_rows: int,
    dialect: str = "plain",
    progress_bar: bool = True,
    log_file: Path | None = None,
) -> int:
    import click

    from noiselab.cli.log_file import HeldRecords, logging_to_file
    from noiselab.cli.logs import settings_secrets
    from noiselab.cli.wiring import open_store
    from noiselab.domain.settings import Settings

    assert isinstance(settings, Settings)
    try:
        start_ms = bound_ms(start, settings.tz, end=False)
        end_ms = bound_ms(end, settings.tz, end=True)
    except (InvalidReading, ValueError) as exc:
        raise click.BadParameter(str(exc)) from exc
    if end_ms <= start_ms:
        raise click.BadParameter("--end must be after --start")
    sep = DIALECTS[dialect]
    log_path = log_file or settings.data_dir / "export.log"
    held = HeldRecords()
    try:
        with logging_to_file(
            log_path, level=settings.log_level, secrets=settings_secrets(settings), held=held
        ):
            store = open_store(settings)
            try:
                ids = list(sensors) or store.sensor_ids()
                length = max(1, len(ids) * (end_ms - start_ms))
                show = progress_bar and sys.stderr.isatty()
                bar_cm = (
                    click.progressbar(length=length, label="exporting", file=sys.stderr) if show else None
                )
                with bar_cm or nullcontext() as bar, _output(out_path) as out:
                    tick = bar.update if bar is not None else (lambda _ms: None)
                    n = write_csv(
                        out, store, ids, start_ms, end_ms, chunk_rows=chunk_rows, dialect=sep, progress=tick
                    )
            finally:
                store.close()
    finally:  # warnings and errors logged meanwhile, shown now that the bar is gone
        for line in held.lines():
            click.echo(line, err=True)
    if out_path != "-":
        click.echo(f"{n} readings of {len(ids)} sensor(s) written to {out_path}", err=True)
    return n
