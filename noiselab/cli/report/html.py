"""The report as one self-contained HTML file (charts embedded as base64 PNG), printable to PDF."""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from html import escape

import numpy as np

from noiselab import __version__
from noiselab.cli.report.data import EVENT_THRESHOLDS, ReportData

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
"""


def _db(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.1f}"


def _img(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(title)}" src="data:image/png;base64,{data}">'


def _summary(d: ReportData) -> str:
    names = [f"l{p}" for p in d.scheme.names]
    head = "".join(f"<th>{n}</th>" for n in ["Lden", *[f"L{p}" for p in d.scheme.names]])
    cells = "".join(f'<td class="n">{_db(d.period_levels.get(n))}</td>' for n in ["lden", *names])
    cov = f"<td class='n'>{d.period_coverage:.0%}</td>"
    return f"<table><tr>{head}<th>coverage</th></tr><tr>{cells}{cov}</tr></table>"


def _compliance(d: ReportData) -> str:
    if not d.comparisons:
        return "<p>No limit values apply to this sensor (no target profile or area category).</p>"
    rows = []
    for c in d.comparisons:
        state = "–" if c["exceeded"] is None else ("exceeded" if c["exceeded"] else "below")
        cls = "" if c["exceeded"] is None else ("bad" if c["exceeded"] else "ok")
        source = c.get("source_url")
        link = f'<a href="{escape(source)}">{escape(source)}</a>' if source else "–"
        rows.append(
            f"<tr><td>{escape(c['metric'])}</td><td class='n'>{c['limit_db']:g}</td>"
            f"<td class='n'>{_db(c['value_db'])}</td><td class='n'>{_db(c['margin_db'])}</td>"
            f"<td class='{cls}'>{state}</td><td>{'yes' if c['indicative'] else 'no'}</td>"
            f"<td>{escape(c['label'])} <span class='muted'>({escape(c['kind'])})</span></td>"
            f"<td>{link}</td></tr>"
        )
    return (
        "<table><tr><th>metric</th><th>limit dB</th><th>value dB</th><th>margin dB</th><th>result</th>"
        "<th>indicative</th><th>limit</th><th>source</th></tr>" + "".join(rows) + "</table>"
    )


def _daily_table(d: ReportData) -> str:
    cols = d.daily
    rows = []
    thr = EVENT_THRESHOLDS
    for i, day in enumerate(d.days):
        cells = [day.isoformat()]
        cells += [_db(float(cols[k][i])) for k in ("lden", "lday", "levening", "lnight", "laeq24", "lafmax")]
        cov = cols["coverage"][i]
        cells.append("–" if np.isnan(cov) else f"{cov:.0%}")
        valid = cols["valid"][i]
        cells.append("–" if np.isnan(valid) else ("yes" if valid > 0.5 else "no"))
        for t in thr:
            n = cols.get(f"n_events_{t:g}_night", np.full(len(d.days), np.nan))[i]
            cells.append("–" if np.isnan(n) else str(int(n)))
        rows.append("<tr>" + "".join(f"<td class='n'>{c}</td>" for c in cells) + "</tr>")
    head = ["date", "Lden", "Lday", "Levening", "Lnight", "LAeq,24h", "LAFmax", "coverage", "valid"]
    head += [f"night events &gt;{t:g} dB" for t in thr]
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _method(d: ReportData) -> str:
    req = d.request
    periods = ", ".join(
        f"{p.name} {p.start_h:02d}–{p.end_h:02d} ({p.weight_h:g} h, +{p.penalty_db:g} dB)"
        for p in d.scheme.periods
    )
    facade = (
        f"The sensor is mounted on a façade: levels are lowered by {req.facade_correction_db:g} dB"
        " before they are compared with free-field limit values (Directive 2002/49/EC Annex I)."
        if d.sensor.facade
        else "The sensor is free-field: no façade correction."
    )
    profile = d.profile or {}
    return f"""
<ul>
<li>Levels are combined by energy, never by averaging decibels: L = 10·log10(Σ t·10<sup>L/10</sup> / Σ t),
 weighted by each reading's interval (ISO 1996-1:2016).</li>
<li>Period scheme <code>{escape(d.scheme.name)}</code>, local time {escape(req.tz)}: {escape(periods)}.
 Lden = 10·log10(Σ d<sub>p</sub>·10<sup>(L<sub>p</sub>+K<sub>p</sub>)/10</sup> / 24) with the nominal hours
 (Directive 2002/49/EC Annex I). Period levels over the whole report use all data of each period.</li>
<li>A day is valid when every period has at least {req.coverage_threshold:.0%} coverage (measured seconds /
 actual seconds of the local period; daylight-saving days have 23 or 25 hours).</li>
<li>An event is a run of consecutive readings with LAeq above
 {" and ".join(f"{t:g}" for t in EVENT_THRESHOLDS)} dB; night events start in the night period.</li>
<li>{escape(facade)}</li>
<li>Anything shorter than a year, or below the coverage threshold, is <em>indicative</em> when compared with a
 limit value defined for long-term (annual) levels.</li>
<li>Limit values: profile <code>{escape(str(profile.get("id", "none")))}</code>
 ({escape(str(profile.get("name", "")))}, version {escape(str(profile.get("version", "")))}), area
 category <code>{escape(d.sensor.area_category or "housing (default)")}</code>.
 Sources are linked in the table above.</li>
</ul>"""


def render(d: ReportData, charts: dict[str, bytes]) -> str:
    """The whole report page; ``charts`` maps a title to PNG bytes (in display order)."""
    req = d.request
    s = d.sensor
    where = f"{s.lat:.5f}, {s.lon:.5f}" if s.lat is not None and s.lon is not None else "not registered"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures = "".join(f"<h2>{escape(t)}</h2>{_img(t, png)}" for t, png in charts.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Noise report {escape(req.sensor_id)}</title>
<style>{CSS}</style></head><body>
<h1>Noise report: {escape(s.name or req.sensor_id)}</h1>
<p>Sensor <code>{escape(req.sensor_id)}</code> ({escape(s.vendor or "vendor not registered")};
 location {where}; source type {escape(s.source_type)}), local dates {req.first_day.isoformat()}
 to {req.last_day.isoformat()}
 ({req.n_days} days, {escape(req.tz)}).</p>
<h2>Summary</h2>{_summary(d)}
<h2>Comparison with limit values</h2>{_compliance(d)}
{figures}
<h2>Daily values</h2>{_daily_table(d)}
<h2>Method</h2>{_method(d)}
<h2>Reproducibility</h2>
<table>
<tr><th>noiselab version</th><td><code class="version">{escape(__version__)}</code></td></tr>
<tr><th>input data SHA-256</th><td><code class="sha256">{d.input_sha256}</code></td></tr>
<tr><th>readings</th><td>{d.n_readings}</td></tr>
<tr><th>generated</th><td>{generated}</td></tr>
</table>
<p class="muted">The hash is that of the CSV <code>noiselab export --sensor {escape(req.sensor_id)}
 --start {req.first_day.isoformat()} --end {req.last_day.isoformat()} --tz {escape(req.tz)}</code> writes:
 run it and <code>sha256sum</code> the file to check which data this report was made from.</p>
</body></html>
"""
