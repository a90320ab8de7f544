"""``noiselab report``: a compliance report for one sensor and period (HTML, PNG charts, optional PDF)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from matplotlib.figure import Figure

from noiselab.cli.report import charts
from noiselab.cli.report.data import ReportData, ReportRequest, gather
from noiselab.cli.report.html import render
from noiselab.cli.report.summary import summary_page
from noiselab.cli.report.words import DEFAULT_LANG, Words


def figures(d: ReportData, words: Words | None = None) -> dict[str, Figure]:
    """The report's charts by file stem, in display order."""
    w = words or Words()
    facade = d.sensor.facade
    return {
        "lden": charts.lden_chart(
            d.days,
            d.free_field("lden"),
            d.daily["valid"],
            limits=d.limits,
            words=w,
            measured_db=d.daily["lden"] if facade else None,
            correction_db=d.request.facade_correction_db,
        ),
        "hourly": charts.hourly_chart(d.hourly_db, d.scheme, words=w),
        "events": charts.events_chart(
            d.days, d.daily, thresholds=d.request.event_thresholds, params=d.request.events, words=w
        ),
        "coverage": charts.coverage_chart(
            d.days, d.daily, d.scheme, threshold=d.request.coverage_threshold, words=w
        ),
    }


def write(d: ReportData, out_path: Path, *, pdf: bool = False, lang: str = DEFAULT_LANG) -> list[Path]:
    """Write the HTML and the PNG charts beside it (``<stem>-<chart>.png``), and with ``pdf`` a PDF whose
    first page is the one-page summary with the limit table; returns every file written."""
    words = Words(lang)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figs = figures(d, words)
    pngs = {name: charts.png(fig) for name, fig in figs.items()}
    written = []
    for name, png in pngs.items():
        path = out_path.with_name(f"{out_path.stem}-{name}.png")
        path.write_bytes(png)
        written.append(path)
    titled = {figs[k].axes[0].get_title(loc="left"): v for k, v in pngs.items()}
    out_path.write_text(render(d, titled, words), encoding="utf-8")
    written.insert(0, out_path)
    if pdf:
        written.append(_pdf(d, figs, out_path.with_suffix(".pdf"), words))
    return written


def _pdf(d: ReportData, figs: dict[str, Figure], path: Path, words: Words) -> Path:
    from matplotlib.backends.backend_pdf import PdfPages

    from noiselab import __version__

    with PdfPages(path) as pdf:
        pdf.savefig(summary_page(d, words))
        for fig in figs.values():
            pdf.savefig(fig)
        info = pdf.infodict()
        info["Title"] = words(
            "pdf_title",
            sensor_id=d.request.sensor_id,
            first=d.request.first_day.isoformat(),
            last=d.request.last_day.isoformat(),
        )
        info["Subject"] = f"noiselab {__version__}; input SHA-256 (report inputs v1) {d.input_sha256}"
    return path


def run(
    settings: object,
    *,
    sensor_id: str,
    start: str,
    end: str,
    out_path: Path | None,
    target_id: str | None,
    pdf: bool,
    lang: str = DEFAULT_LANG,
    print_inputs: bool = False,
) -> list[Path]:
    """Write the report; with ``print_inputs`` write only its canonical inputs to standard output (the
    bytes whose SHA-256 the report prints; :mod:`noiselab.cli.report.inputs`)."""
    import sys

    import click

    from noiselab.api.options import options_from_settings
    from noiselab.cli.report import inputs as canonical
    from noiselab.cli.report.data import read_inputs
    from noiselab.cli.wiring import configure_logging, open_registry, open_store
    from noiselab.domain.settings import Settings

    assert isinstance(settings, Settings)
    configure_logging(settings)
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise click.BadParameter(f"--start/--end must be dates YYYY-MM-DD: {exc}") from exc
    if last < first:
        raise click.BadParameter("--end must not be before --start")
    options = options_from_settings(settings)  # the API's defaults: day start, events, coverage
    req = ReportRequest(
        sensor_id=sensor_id,
        first_day=first,
        last_day=last,
        scheme=settings.scheme,
        tz=options.tz,
        coverage_threshold=options.coverage_threshold,
        facade_correction_db=options.facade_correction_db,
        target_id=target_id,
        day_start_h=options.day_start_h,
        events=options.events,
    )
    store, registry = open_store(settings), open_registry(settings)
    try:
        if print_inputs:
            canonical.write(read_inputs(store, req), req.events, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return []
        data = gather(store, registry, req)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
        registry.close()
    if data.n_hours == 0:
        click.echo(f"warning: no data of {sensor_id} between {first} and {last}", err=True)
    assert out_path is not None
    paths = write(data, out_path, pdf=pdf, lang=lang)
    for p in paths:
        click.echo(str(p))
    return paths


def run_trial(settings: object, *, trial_id: str, out_path: Path) -> list[Path]:
    """``noiselab report --trial ID``: the trial's result as HTML with one PNG beside it."""
    import click
    from fastapi import HTTPException

    from noiselab.api.views.trials import compute
    from noiselab.cli.report import trial as trial_report
    from noiselab.cli.wiring import configure_logging, open_registry, open_store
    from noiselab.domain.settings import Settings

    assert isinstance(settings, Settings)
    configure_logging(settings)
    store, registry = open_store(settings), open_registry(settings)
    try:
        body = registry.trials.get(trial_id)
        if body is None:
            raise click.ClickException(f"no trial {trial_id!r}")
        try:
            result = compute(store, registry, settings, body)
        except HTTPException as exc:  # the same refusals the API gives (e.g. a weather filter, no weather)
            raise click.ClickException(str(exc.detail)) from exc
    finally:
        store.close()
        registry.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    png = charts.png(trial_report.figure(body, result))
    png_path = out_path.with_suffix(".png")
    png_path.write_bytes(png)
    out_path.write_text(trial_report.render(body, result, png), encoding="utf-8")
    for p in (out_path, png_path):
        click.echo(str(p))
    return [out_path, png_path]
