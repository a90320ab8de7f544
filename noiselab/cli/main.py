"""The ``noiselab`` command line: the composition root's front door.

Every command declares its options here and calls ``run`` in ``noiselab.cli.commands.<name>``, importing it
lazily so that ``noiselab --help`` stays fast. Options mirror the NOISELAB_* environment variables
(``--mqtt-url`` = ``NOISELAB_MQTT_URL``); see ``noiselab.domain.settings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from noiselab import __version__
from noiselab.cli.report.words import DEFAULT_LANG, LANGS  # the report's languages, from its catalogs
from noiselab.ingest.decoders import FORMATS  # the declared formats (about 20 ms to import)

_CONFIG = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML config file (NOISELAB_CONFIG). Environment variables and flags override it.",
)
_STORE_URL = click.option(
    "--store-url", default=None, help="sqlite:///path.db or influxdb://... (NOISELAB_STORE_URL)."
)
_DATA_DIR = click.option("--data-dir", default=None, help="Where the embedded store and registry live.")


if TYPE_CHECKING:
    from noiselab.domain.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def _apply(fn: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settings_options(fn: F) -> F:
    """Flags shared by the long-running commands; each one equals a NOISELAB_* variable."""
    return _apply(
        fn,
        [
            _CONFIG,
            click.option(
                "--mqtt-url", default=None, help="Broker URL (NOISELAB_MQTT_URL); unset = embedded broker."
            ),
            _STORE_URL,
            click.option("--http-host", default=None, help="API bind address (NOISELAB_HTTP_HOST)."),
            click.option(
                "--http-port", type=int, default=None, help="API port (NOISELAB_HTTP_PORT, default 8000)."
            ),
            click.option(
                "--simulate", type=int, default=None, help="Number of simulated sensors (NOISELAB_SIMULATE)."
            ),
            _DATA_DIR,
        ],
    )


def _load(**flags: Any) -> Settings:
    from noiselab.domain.settings import load_settings

    config_file = flags.pop("config_file", None)
    overrides = {k: v for k, v in flags.items() if v is not None}
    return load_settings(config_file=config_file, **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="noiselab")
def main() -> None:
    """noiselab: noise sensor ingestion and acoustic metrics (Lden, events, compliance)."""


@main.command()
@_settings_options
def up(**flags: object) -> None:
    """Collector + API (+ embedded broker when no broker is configured, + simulated sensors)."""
    from noiselab.cli.commands import up as cmd

    cmd.run(_load(**flags), collector=True, api=True)


@main.command()
@_settings_options
def collect(**flags: object) -> None:
    """The MQTT collector alone."""
    from noiselab.cli.commands import up as cmd

    cmd.run(_load(**flags), collector=True, api=False)


@main.command()
@_settings_options
def serve(**flags: object) -> None:
    """The HTTP API and resident page alone."""
    from noiselab.cli.commands import up as cmd

    cmd.run(_load(**flags), collector=False, api=True)


@main.command()
@_settings_options
@click.option("--sensors", "count", type=int, default=3, show_default=True, help="How many sensors.")
@click.option("--vendor", default="simlab", show_default=True, help="Vendor name in the topic.")
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Time acceleration: 60 = one simulated minute per real second (backfill).",
)
@click.option(
    "--start", "start_iso", default=None, help="Simulated start time (ISO 8601 with zone); default now."
)
@click.option(
    "--duration",
    "duration_s",
    type=float,
    default=None,
    help="Stop after this many simulated seconds; default runs until interrupted.",
)
@click.option(
    "--formats",
    default="native",
    show_default=True,
    help="Comma-separated formats to publish: native, chirpstack, tts, sensorthings.",
)
def simulate(
    count: int,
    vendor: str,
    speed: float,
    start_iso: str | None,
    duration_s: float | None,
    formats: str,
    **flags: object,
) -> None:
    """Simulated sensors publishing realistic 1-s levels over MQTT to any broker."""
    from noiselab.cli.commands import simulate as cmd

    cmd.run(
        _load(**flags),
        count=count,
        vendor=vendor,
        speed=speed,
        start_iso=start_iso,
        duration_s=duration_s,
        formats=[f.strip() for f in formats.split(",") if f.strip()],
    )


_DIALECT = click.option(
    "--dialect",
    type=click.Choice(["plain", "excel-dk"]),
    default="plain",
    show_default=True,
    help="CSV dialect: plain (',' and a decimal point) or excel-dk (';', decimal comma, UTF-8 BOM) for "
    "Danish spreadsheets.",
)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--scheme",
    type=click.Choice(["dk", "eu", "ldn"]),
    default="dk",
    show_default=True,
    help="Period scheme: dk (07-19/19-22/22-07), eu (07-19/19-23/23-07), ldn.",
)
@click.option(
    "--tz", default="Europe/Copenhagen", show_default=True, help="IANA time zone of the local days."
)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option(
    "--day-start",
    type=click.Choice([f"{h:02d}:00" for h in range(24)]),
    default=None,
    help="Local time a daily record starts (default: the scheme's day start, 07:00; 00:00 = calendar days).",
)
@click.option("--threshold", type=click.FloatRange(30, 140), default=None, help="Event threshold, dB (70).")
@click.option("--merge-gap-s", type=click.FloatRange(0, 3600), default=None, help="Bridge shorter dips (5).")
@click.option("--min-duration-s", type=click.FloatRange(0, 3600), default=None, help="Shortest event (3 s).")
@_DIALECT
def compute(
    file: Path,
    scheme: str,
    tz: str,
    fmt: str,
    day_start: str | None,
    threshold: float | None,
    merge_gap_s: float | None,
    min_duration_s: float | None,
    dialect: str,
) -> None:
    """Daily metrics (Lden, Lnight, LA90, events, ...) from a CSV of readings."""

    from noiselab.api.csv import DIALECTS
    from noiselab.cli.commands import compute as cmd
    from noiselab.processing.events import DEFAULT_EVENTS

    if dialect != "plain" and fmt != "csv":
        raise click.UsageError("--dialect applies to --format csv")
    given = {"threshold_db": threshold, "merge_gap_s": merge_gap_s, "min_duration_s": min_duration_s}
    events = DEFAULT_EVENTS.with_overrides(**given)
    day_start_h = None if day_start is None else int(day_start[:2])
    code = cmd.run(
        file,
        scheme=scheme,
        tz=tz,
        fmt=fmt,
        day_start_h=day_start_h,
        events=events,
        dialect=DIALECTS[dialect],
    )
    if code:
        raise SystemExit(code)


def _store_options(fn: F) -> F:
    """The flags the store-only commands (import, export, report) need."""
    return _apply(fn, [_CONFIG, _STORE_URL, _DATA_DIR])


@main.command()
@click.argument(
    "fmt",
    metavar="FORMAT",
    type=click.Choice(FORMATS),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--topic", default=None, help="MQTT topic the sample arrives on (native: noise/VENDOR/SENSOR/levels)."
)
@click.option(
    "--header", "headers", multiple=True, help="HTTP header 'Name: value' (e.g. 'X-Sensor: esp8266-1')."
)
def check(fmt: str, file: Path, topic: str | None, headers: tuple[str, ...]) -> None:
    """Conformance check for vendors: decode a sample, store nothing, report what would be stored."""
    from noiselab.cli.commands import check as cmd

    raise SystemExit(cmd.run(fmt, file, topic=topic, headers=headers))


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_store_options
@click.option(
    "--restart", is_flag=True, help="Ignore the checkpoint FILE.noiselab-import and start from the top."
)
@click.option(
    "--chunk-rows", type=click.IntRange(1), default=5000, show_default=True, help="Rows per store write."
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr.")
@click.option(
    "--allow-refused", is_flag=True, help="Exit 0 even when rows were refused (a partial import is fine)."
)
@click.option(
    "--refused",
    "refused_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the refused rows go, with line numbers and reasons [default: FILE.refused.csv].",
)
@click.option(
    "--sensors",
    "sheet",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Sensor sheet (CSV: id,name,lat,lon,area,facade,public) that registers and places the sensors.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where log lines go while the progress bar runs [default: DATA_DIR/import.log].",
)
def import_(
    file: Path,
    restart: bool,
    chunk_rows: int,
    progress: bool,
    allow_refused: bool,
    refused_path: Path | None,
    sheet: Path | None,
    log_file: Path | None,
    **flags: object,
) -> None:
    """Backfill readings from a CSV into the store (SPEC §5 columns).

    Header: sensor_id,ts,laeq required; lafmax,lafmin,lcpeak,interval_s optional. Idempotent (readings
    already stored count as duplicates) and resumable: an interrupted import continues after the last
    committed line. Refused rows are written to FILE.refused.csv with their line numbers and reasons (and
    kept in the dead-letter store); the exit status is then 1 unless --allow-refused. The summary names
    the sensors that are not placed or not public and how to place them (or give --sensors SHEET).
    """
    from noiselab.cli.commands import import_session
    from noiselab.cli.commands.readings_csv import HeaderError

    options = import_session.ImportOptions(
        restart=restart,
        chunk_rows=chunk_rows,
        progress_bar=progress,
        allow_refused=allow_refused,
        refused_path=refused_path,
        sheet=sheet,
        log_file=log_file,
        cli_flags=_given(flags, ("config_file", "--config"), ("data_dir", "--data-dir")),
    )
    try:
        code = import_session.run(_load(**flags), file, options)
    except HeaderError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    if code:
        raise SystemExit(code)


def _given(flags: dict[str, object], *names: tuple[str, str]) -> tuple[str, ...]:
    """The flags the user gave, as they would be typed again (for commands printed to copy)."""
    out: list[str] = []
    for key, flag in names:
        if flags.get(key) is not None:
            out += [flag, str(flags[key])]
    return tuple(out)


@main.command()
@_store_options
@click.option("--sensor", "sensors", multiple=True, help="Sensor id (repeatable); default every sensor.")
@click.option("--start", required=True, help="Local date YYYY-MM-DD or ISO 8601 time with a zone.")
@click.option("--end", required=True, help="Local date (included) or ISO 8601 time with a zone (excluded).")
@click.option("--out", "out_path", default="-", show_default=True, help="CSV file to write; - = stdout.")
@click.option("--tz", default=None, help="Time zone of the dates (NOISELAB_TZ, default Europe/Copenhagen).")
@click.option(
    "--chunk-rows", type=click.IntRange(1), default=50_000, show_default=True, help="Rows per store read."
)
@_DIALECT
@click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr (a terminal)."
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where log lines go while the export runs [default: DATA_DIR/export.log].",
)
def export(
    sensors: tuple[str, ...],
    start: str,
    end: str,
    out_path: str,
    tz: str | None,
    chunk_rows: int,
    dialect: str,
    progress: bool,
    log_file: Path | None,
    **flags: object,
) -> None:
    """Export readings to CSV with the import columns (sensor_id,ts,laeq,lafmax,lafmin,lcpeak,interval_s)."""
    from noiselab.cli.commands import export as cmd

    if tz:
        flags["tz"] = tz
    cmd.run(
        _load(**flags),
        sensors=sensors,
        start=start,
        end=end,
        out_path=out_path,
        chunk_rows=chunk_rows,
        dialect=dialect,
        progress_bar=progress,
        log_file=log_file,
    )


@main.command()
@_store_options
@click.option("--trial", "trial_id", default=None, help="A trial's report instead (insertion loss, charts).")
@click.option("--sensor", "sensor_id", default=None, help="Sensor id (required without --trial).")
@click.option("--start", default=None, help="First local date, YYYY-MM-DD (required without --trial).")
@click.option("--end", default=None, help="Last local date (included), YYYY-MM-DD (needed without --trial).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write (required unless --print-inputs); charts are embedded and also written as PNG.",
)
@click.option("--target", "target_id", default=None, help="Limit-value preset id; default the sensor's.")
@click.option("--scheme", default=None, help="Period scheme dk, eu or ldn (NOISELAB_SCHEME, default dk).")
@click.option("--tz", default=None, help="Time zone of the local days (NOISELAB_TZ).")
@click.option("--pdf", is_flag=True, help="Also write FILE.pdf (one-page summary with limits, then charts).")
@click.option(
    "--print-inputs",
    is_flag=True,
    help="Write only the report's canonical inputs (hourly rollups and events) to stdout: sha256sum of "
    "them is the report's input hash.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=DEFAULT_LANG,
    show_default=True,
    help="Language of the report (catalogs in noiselab/cli/report/catalogs).",
)
def report(
    trial_id: str | None,
    sensor_id: str | None,
    start: str | None,
    end: str | None,
    out_path: Path | None,
    target_id: str | None,
    scheme: str | None,
    tz: str | None,
    pdf: bool,
    print_inputs: bool,
    lang: str,
    **flags: object,
) -> None:
    """A compliance report for a sensor and period, with charts (HTML, PNG, optional PDF).

    Daily Lden against the target, the energy-averaged hourly profile, events per night, coverage, the
    method and the sources of the limit values, the noiselab version and the input SHA-256: the hash of
    the canonical text of the hourly rollups and events the report is computed from, which
    --print-inputs writes (docs/metrics.md "Reports").

    With --trial ID: the trial's insertion loss per period with its 95 % interval, the hourly differences
    over time with both periods shaded, the before/after distributions, the warnings, the method and the
    SHA-256 of the inputs (HTML, and FILE.png beside it; docs/trials.md).
    """
    from noiselab.cli.commands import report as cmd

    for key, value in (("scheme", scheme), ("tz", tz)):
        if value:
            flags[key] = value
    if trial_id is not None:
        if out_path is None or print_inputs:
            raise click.UsageError("--trial needs --out (and takes no --print-inputs)")
        cmd.run_trial(_load(**flags), trial_id=trial_id, out_path=out_path)
        return
    if sensor_id is None or start is None or end is None:
        raise click.UsageError("--sensor, --start and --end are required (or --trial ID)")
    if out_path is None and not print_inputs:
        raise click.UsageError("--out is required (or --print-inputs)")
    cmd.run(
        _load(**flags),
        sensor_id=sensor_id,
        start=start,
        end=end,
        out_path=out_path,
        target_id=target_id,
        pdf=pdf,
        lang=lang,
        print_inputs=print_inputs,
    )


@main.group()
def keys() -> None:
    """API keys: create, list, revoke."""


_KEY_OPTIONS = [
    click.option("--data-dir", default=None, help="Where the registry lives (NOISELAB_DATA_DIR)."),
    click.option("--config", "config_file", default=None, help="TOML config file (NOISELAB_CONFIG)."),
]


def _key_options(fn: F) -> F:
    for option in reversed(_KEY_OPTIONS):
        fn = option(fn)
    return fn


@keys.command("create")
@click.option("--role", type=click.Choice(["vendor", "engineer", "admin"]), required=True)
@click.option("--vendor", default=None, help="Vendor name (vendor keys only): the MQTT user / topic vendor.")
@click.option("--label", default=None, help="A note to recognise the key by in 'keys list'.")
@_key_options
def keys_create(role: str, vendor: str | None, label: str | None, **flags: object) -> None:
    """Create a key; it is printed once, alone on the last line."""
    from noiselab.cli.commands import keys as cmd

    cmd.create(_load(**flags), role, vendor, label)


@keys.command("list")
@_key_options
def keys_list(**flags: object) -> None:
    """List keys: id, role, vendor, first characters, created, state, label."""
    from noiselab.cli.commands import keys as cmd

    cmd.list_keys(_load(**flags))


@keys.command("revoke")
@click.argument("key_id", type=int)
@_key_options
def keys_revoke(key_id: int, **flags: object) -> None:
    """Revoke a key by its id (see 'keys list')."""
    from noiselab.cli.commands import keys as cmd

    cmd.revoke(_load(**flags), key_id)


@main.group()
def sensors() -> None:
    """Sensors in the registry: register and place them from a sensor sheet."""


@sensors.command("apply")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_key_options
def sensors_apply(sheet: Path, **flags: object) -> None:
    """Register, name, place and publish sensors from a sheet (CSV: id,name,lat,lon,area,facade,public).

    Only id is required; an empty cell leaves a field as it is. lat and lon (both) place a sensor; public
    = yes shows it on the residents' page. The whole sheet is checked first: one bad row and nothing
    changes (exit status 2, every problem listed with its line). See docs/operations.md.
    """
    from noiselab.cli.commands import sensor_sheet

    sensor_sheet.run(_load(**flags), sheet)


@main.command(name="import-weather")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--station", default=None, help="Station id or name to record with the hours (e.g. DMI 06181).")
@_key_options
def import_weather(file: Path, station: str | None, **flags: object) -> None:
    """Import a weather station's 10-minute or hourly series (CSV) for trial filters.

    Columns time,wind_speed_ms,wind_dir_deg,precip_mm,temp_c, or DMI open-data names (observed, wind_speed,
    wind_dir, precip_past10min, temp_dry), wide or long (observed,parameterId,value). Aggregated to UTC
    hours and stored in the registry; re-importing replaces the hours covered. See docs/trials.md.
    """
    from noiselab.cli.commands import weather as cmd

    cmd.run(_load(**flags), file, station=station)


if __name__ == "__main__":
    main()
