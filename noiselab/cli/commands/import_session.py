"""The shell of ``noiselab import``: what the person at the terminal sees, and the exit status.

- The progress bar owns the terminal: while the import runs, log records go to a file
  (``<data_dir>/import.log`` or ``--log-file``, JSON lines, appended); warnings are also held and shown
  after the bar.
- Refused rows go to a CSV file with their line numbers and reasons (``--refused``, default
  ``FILE.csv.refused.csv``, see :mod:`~noiselab.cli.commands.refused_file`), and the exit status is 1
  unless ``--allow-refused``. A header the import cannot read is exit status 1 too, before anything is
  written; a bad sensor sheet is exit status 2 (a usage error), also before anything is written.
- The summary names the sensors this import registered and those not on the residents' page (not placed
  or not public), with the commands that place them (:mod:`~noiselab.cli.commands.placement`); a sensor
  sheet (``--sensors``, :mod:`~noiselab.cli.commands.sensor_sheet`) registers and places them in one step.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from noiselab.cli.commands import placement, refused_file, sensor_sheet
from noiselab.cli.commands.importer import Importer, ImportSummary, checkpoint_path, file_identity
from noiselab.cli.log_file import HeldRecords, logging_to_file
from noiselab.cli.logs import settings_secrets
from noiselab.cli.wiring import open_registry, open_store
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor


@dataclass(frozen=True)
class ImportOptions:
    restart: bool = False
    chunk_rows: int = 5000
    progress_bar: bool = True
    allow_refused: bool = False
    refused_path: Path | None = None  # default: beside the input
    sheet: Path | None = None
    log_file: Path | None = None  # default: <data_dir>/import.log
    cli_flags: tuple[str, ...] = ()  # --data-dir/--config as given, repeated in the printed commands


def resumes(file: Path, store_url: str, *, restart: bool) -> bool:
    """Whether the import will continue after a checkpoint (the importer checks the same binding)."""
    if restart:
        return False
    try:
        data = json.loads(checkpoint_path(file).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("file") == file_identity(file)
        and data.get("store_url") == store_url
    )


def api_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::", "") else settings.http_host
    return f"http://{host}:{settings.http_port}"


@contextmanager
def _bar(show: bool, length: int, label: str) -> Iterator[Callable[[int], None]]:
    if not show:
        yield lambda _n: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=False) as bar:
        yield bar.update


@dataclass
class Outcome:
    summary: ImportSummary
    sheet: sensor_sheet.SheetResult | None
    new: list[str]  # sensors this import registered
    hidden: list[Sensor]  # sensors of the file or sheet not on the residents' page
    template: Path | None  # the sheet template named in the advice
    template_written: bool


def run(settings: Settings, file: Path, options: ImportOptions) -> int:
    """Import ``file``, print the summary; returns the exit status (see the module docstring)."""
    sheet = sensor_sheet.checked(options.sheet) if options.sheet else None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = options.log_file or settings.data_dir / "import.log"
    refused_path = options.refused_path or refused_file.default_path(file)
    if refused_path.resolve() == file.resolve():
        raise click.UsageError("--refused must name another file than the one imported")
    held = HeldRecords()
    try:
        with logging_to_file(
            log_path, level=settings.log_level, secrets=settings_secrets(settings), held=held
        ):
            outcome = _import(settings, file, options, sheet, refused_path)
    finally:  # warnings and errors logged meanwhile, shown now that the bar is gone
        for line in held.lines():
            click.echo(line, err=True)
    summary = outcome.summary
    lines = _summary_lines(summary, file, refused_path, log_path)
    if outcome.sheet is not None and options.sheet is not None:
        lines += outcome.sheet.lines(options.sheet)
    lines += placement.advice_lines(
        outcome.hidden, outcome.new, sheet=outcome.template, sheet_written=outcome.template_written,
        cli_flags=options.cli_flags, api_url=api_url(settings),
    )  # fmt: skip
    for line in lines:
        click.echo(line)
    if summary.refused and not options.allow_refused:
        click.echo(
            f"exit status 1: {summary.refused} row(s) refused (--allow-refused accepts a partial import)",
            err=True,
        )
        return 1
    return 0


def _import(
    settings: Settings,
    file: Path,
    options: ImportOptions,
    sheet: list[sensor_sheet.SheetRow] | None,
    refused_path: Path,
) -> Outcome:
    store = open_store(settings)
    registry = open_registry(settings)
    refused = refused_file.RefusedFile(
        refused_path, file, resume=resumes(file, settings.effective_store_url, restart=options.restart)
    )
    try:
        before = {s.sensor_id for s in registry.list_sensors(include_retired=True)}
        importer = Importer(
            store, registry, store_url=settings.effective_store_url, chunk_rows=options.chunk_rows
        )
        with _bar(options.progress_bar, file.stat().st_size, f"importing {file.name}") as progress:
            summary = importer.run(file, restart=options.restart, progress=progress, refused=refused.write)
        applied = sensor_sheet.apply_sheet(registry, sheet) if sheet else None
        hidden = placement.not_on_page(registry, summary.sensors | {r.sensor_id for r in sheet or ()})
        template = None if sheet or not hidden else placement.template_path(file)
        written = placement.write_template(template, hidden) if template else False
        return Outcome(summary, applied, sorted(summary.sensors - before), hidden, template, written)
    finally:
        refused.close()
        store.close()
        registry.close()


def _summary_lines(summary: ImportSummary, file: Path, refused_path: Path, log_path: Path) -> list[str]:
    lines = summary.lines(file)
    if summary.refused and refused_path.exists():
        lines.append(f"refused rows with their line numbers and reasons: {refused_path}")
    lines.append(f"log: {log_path}")
    return lines
