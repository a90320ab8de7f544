"""The report as one self-contained HTML file (charts embedded as base64 PNG), printable to PDF, in the
language of its :class:`~noiselab.cli.report.words.Words`. Every level compared with a limit value is a
free-field value (a façade sensor's levels lowered by the façade correction, stated in the summary); the
daily table shows the levels as measured."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape

import numpy as np

from noiselab import __version__
from noiselab.cli.report.data import ReportData
from noiselab.cli.report.words import Words

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;
 padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{padding:.25rem .6rem;border:1px solid #ddd}
th{background:#f4f6f8;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b03a2e;font-weight:600} .ok{color:#1e7e34;font-weight:600} .muted{color:#666;font-size:.85rem}
img{max-width:100%;height:auto;display:block;margin:.5rem 0 1rem}
code{background:#f4f4f4;padding:0 .2rem}
.note{background:#f7f9fb;border-left:3px solid #1f5fa8;padding:.4rem .8rem}
"""


def _img(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(title)}" src="data:image/png;base64,{data}">'


def _row(cells: list[str], *, head: bool = False, numeric: bool = True) -> str:
    tag = "th" if head else "td"
    cls = "" if head or not numeric else " class='n'"
    return "<tr>" + "".join(f"<{tag}{cls}>{c}</{tag}>" for c in cells) + "</tr>"


def summary_lines(d: ReportData, w: Words) -> list[str]:
    """The summary's sentences (also on the PDF's first page)."""
    req = d.request
    facade = (
        w("summary.facade", correction=w.number(req.facade_correction_db, 0))
        if d.sensor.facade
        else w("summary.free_field")
    )
    valid = int(np.nansum(d.daily["valid"] > 0.5))
    lines = [
        facade,
        w("summary.valid_days", pct=w.pct(req.coverage_threshold), n_valid=valid, n_days=req.n_days),
        w(
            "summary.events",
            threshold=f"{req.events.threshold_db:g}",
            n_all=d.events_total(night=False),
            n_night=d.events_total(night=True),
        ),
    ]
    if any(c["indicative"] for c in d.comparisons):
        lines.append(w("summary.indicative"))
    return lines


def summary_table(d: ReportData, w: Words) -> tuple[list[str], list[str]]:
    """Header and values: Lden and each period level (free field), then each period's coverage."""
    names = ["lden", *[f"l{p}" for p in d.scheme.names]]
    head = ["Lden", *[f"L{w.period(p)}" for p in d.scheme.names]]
    head += [w("summary.coverage", period=w.period(p)) for p in d.scheme.names]
    levels = d.free_field_levels
    cells = [w.db(levels.get(n)) for n in names] + [w.pct(d.period_coverages[p]) for p in d.scheme.names]
    return head, cells


def limit_rows(d: ReportData, w: Words) -> list[list[str]]:
    """One row per limit value: metric, limit, free-field value, margin, result, indicative, label, source."""
    rows = []
    for c in d.comparisons:
        state = (
            w("none") if c["exceeded"] is None else w("limits.exceeded" if c["exceeded"] else "limits.below")
        )
        rows.append(
            [
                c["metric"],
                f"{c['limit_db']:g}",
                w.db(c["value_db"]),
                w.db(c["margin_db"]),
                state,
                w.yes_no(c["indicative"]),
                f"{c['label']} ({w.kind(c['kind'])})",
                c.get("source_url") or w("none"),
            ]
        )
    return rows


def _summary(d: ReportData, w: Words) -> str:
    head, cells = summary_table(d, w)
    notes = "".join(f"<p class='note'>{escape(line)}</p>" for line in summary_lines(d, w))
    return f"<p>{escape(w('summary.levels'))}</p><table>{_row(head, head=True)}{_row(cells)}</table>{notes}"


def _compliance(d: ReportData, w: Words) -> str:
    if not d.comparisons:
        return f"<p>{escape(w('limits.none'))}</p>"
    out = []
    for c, row in zip(d.comparisons, limit_rows(d, w), strict=True):
        cls = "" if c["exceeded"] is None else ("bad" if c["exceeded"] else "ok")
        source = c.get("source_url")
        link = f'<a href="{escape(source)}">{escape(source)}</a>' if source else escape(row[7])
        cells = [f"<td class='n'>{escape(v)}</td>" for v in row[1:4]]
        out.append(
            f"<tr><td>{escape(row[0])}</td>{''.join(cells)}<td class='{cls}'>{escape(row[4])}</td>"
            f"<td>{escape(row[5])}</td><td>{escape(row[6])}</td><td>{link}</td></tr>"
        )
    head = _row([escape(h) for h in w.entry("limits.columns")], head=True)
    return f"<table>{head}{''.join(out)}</table>"


def _daily_table(d: ReportData, w: Words) -> str:
    cols = d.daily
    thresholds = d.request.event_thresholds
    rows = []
    for i, day in enumerate(d.days):
        cells = [day.isoformat()]
        cells += [w.db(float(cols[k][i])) for k in ("lden", "lday", "levening", "lnight", "laeq24", "lafmax")]
        for p in d.scheme.names:
            cov = cols.get(f"coverage_{p}", np.full(len(d.days), np.nan))[i]
            cells.append(w("none") if np.isnan(cov) else w.pct(float(cov)))
        valid = cols["valid"][i]
        cells.append(w("none") if np.isnan(valid) else w.yes_no(bool(valid > 0.5)))
        for t in thresholds:
            n = cols.get(f"n_events_{t:g}_night", np.full(len(d.days), np.nan))[i]
            cells.append(w("none") if np.isnan(n) else str(int(n)))
        rows.append(_row(cells))
    head = [*w.entry("daily.columns"), *[w("daily.night_events", threshold=f"{t:g}") for t in thresholds]]
    return "<table>" + _row([escape(h) for h in head], head=True) + "".join(rows) + "</table>"


def method_lines(d: ReportData, w: Words) -> list[str]:
    req = d.request
    periods = ", ".join(
        w(
            "method.period",
            name=w.period(p.name),
            start=f"{p.start_h:02d}",
            end=f"{p.end_h:02d}",
            hours=f"{p.weight_h:g}",
            penalty=f"{p.penalty_db:g}",
        )
        for p in d.scheme.periods
    )
    profile = d.profile or {}
    return [
        w("method.energy"),
        w("method.scheme", scheme=d.scheme.name, tz=req.tz, periods=periods),
        w("method.valid", pct=w.pct(req.coverage_threshold)),
        w("method.events", gap_s=f"{req.events.merge_gap_s:g}", min_s=f"{req.events.min_duration_s:g}"),
        summary_lines(d, w)[0],
        w("summary.indicative"),
        w(
            "method.limits",
            profile=profile.get("id", w("none")),
            name=profile.get("name", ""),
            version=profile.get("version", ""),
            area=d.sensor.area_category or w("method.area_default"),
        ),
    ]


def inputs_command(d: ReportData) -> str:
    """The ``noiselab report --print-inputs`` call that writes the very bytes this report's hash is of
    (with the same settings: day start and event parameters)."""
    req = d.request
    return (
        f"noiselab report --sensor {req.sensor_id} --start {req.first_day.isoformat()}"
        f" --end {req.last_day.isoformat()} --scheme {req.scheme} --tz {req.tz} --print-inputs"
    )


def intro(d: ReportData, w: Words) -> str:
    req, s = d.request, d.sensor
    where = f"{s.lat:.5f}, {s.lon:.5f}" if s.lat is not None and s.lon is not None else w("where_unknown")
    return w(
        "intro",
        sensor_id=req.sensor_id,
        vendor=s.vendor or w("vendor_unknown"),
        where=where,
        source=w.entry("sources").get(s.source_type, s.source_type),
        first=req.first_day.isoformat(),
        last=req.last_day.isoformat(),
        n_days=req.n_days,
        tz=req.tz,
        day_start=f"{req.day_start_hour:02d}:00",
    )


def render(d: ReportData, charts: dict[str, bytes], words: Words) -> str:
    """The whole report page; ``charts`` maps a title to PNG bytes (in display order)."""
    w = words
    req = d.request
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures = "".join(f"<h2>{escape(t)}</h2>{_img(t, png)}" for t, png in charts.items())
    method = "".join(f"<li>{escape(line)}</li>" for line in method_lines(d, w))
    command = f"<code>{escape(inputs_command(d))}</code>"
    check = escape(w("repro.check", command="\0")).replace("\0", command)
    return f"""<!doctype html>
<html lang="{escape(str(w.entry("meta.html_lang")))}"><head><meta charset="utf-8">
<title>{escape(w("title", name=req.sensor_id))}</title>
<style>{CSS}</style></head><body>
<h1>{escape(w("title", name=d.sensor.name or req.sensor_id))}</h1>
<p>{escape(intro(d, w))}</p>
<h2>{escape(w("summary.heading"))}</h2>{_summary(d, w)}
<h2>{escape(w("limits.heading"))}</h2>{_compliance(d, w)}
{figures}
<h2>{escape(w("daily.heading"))}</h2>{_daily_table(d, w)}
<h2>{escape(w("method.heading"))}</h2><ul>{method}</ul>
<h2>{escape(w("repro.heading"))}</h2>
<table>
<tr><th>{escape(w("repro.version"))}</th><td><code class="version">{escape(__version__)}</code></td></tr>
<tr><th>{escape(w("repro.sha256"))}</th><td><code class="sha256">{d.input_sha256}</code></td></tr>
<tr><th>{escape(w("repro.hours"))}</th><td class="hours">{d.n_hours}</td></tr>
<tr><th>{escape(w("repro.measured"))}</th><td>{w.number(d.measured_s / 3600.0, 1)} h</td></tr>
<tr><th>{escape(w("repro.events"))}</th><td class="events">{d.n_events}</td></tr>
<tr><th>{escape(w("repro.generated"))}</th><td>{generated}</td></tr>
</table>
<p class="muted">{escape(w("repro.definition"))}</p>
<p class="muted">{check}</p>
</body></html>
"""
