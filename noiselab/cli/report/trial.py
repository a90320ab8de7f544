"""The trial report: one PNG (three panels) and a self-contained HTML page around it.

Panels: (1) the hourly difference treated − reference (or the treated level, for before_after) over time,
with the before and after periods shaded and the daily energy-mean difference drawn over the hourly points;
(2) the distributions of those hourly differences before and after; (3) the insertion loss per period with
its 95 % interval. The HTML adds the trial, the method and formula, the warnings, and the SHA-256 of the
inputs (the hourly levels and coverage the result was computed from).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from noiselab import __version__
from noiselab.cli.report.charts import BLUE, DPI, GREY, ORANGE, RED
from noiselab.cli.report.html import CSS, _img
from noiselab.processing.decibel import energy_mean
from noiselab.processing.trials import TrialResult

SHADE = {0: ("#dfe6f3", "before"), 1: ("#fde0c5", "after")}
FORMULAS = {
    "baci": "IL = (L<sub>t,before</sub> − L<sub>r,before</sub>) − "
    "(L<sub>t,after</sub> − L<sub>r,after</sub>)",
    "control_impact": "IL = L<sub>r,after</sub> − L<sub>t,after</sub>",
    "before_after": "IL = L<sub>t,before</sub> − L<sub>t,after</sub>",
}


def _series(result: TrialResult) -> np.ndarray:
    if result.method == "before_after":
        return result.matched_treated_db
    return np.asarray(result.matched_treated_db - result.matched_reference_db)


def _group_difference(result: TrialResult, hours: np.ndarray) -> float:
    """The plotted quantity over some matched hours, as the trial computes it: the energy mean of the
    treated levels minus that of the reference levels (the treated energy mean alone for before_after),
    never an energy mean of the hourly differences."""
    treated = float(energy_mean(result.matched_treated_db[hours]))
    if result.method == "before_after":
        return treated
    return treated - float(energy_mean(result.matched_reference_db[hours]))


def figure(body: dict[str, Any], result: TrialResult) -> Figure:
    fig = Figure(figsize=(10, 11.5), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(3, 1, height_ratios=[1.2, 1, 0.9])
    diff = _series(result)
    label = "treated level, dB(A)" if result.method == "before_after" else "treated − reference, dB"
    when = [datetime.fromtimestamp(int(t), UTC) for t in result.matched_hour_s]
    x = mdates.date2num(when) if when else np.zeros(0)
    for key in ("before", "after"):
        p = body.get(key)
        if p and not (key == "before" and result.method == "control_impact"):
            colour, name = SHADE[0 if key == "before" else 1]
            lo, hi = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
            ax1.axvspan(
                mdates.date2num(lo), mdates.date2num(hi) + 1, color=colour, zorder=0, label=f"{name} period"
            )
    ax1.plot(x, diff, ".", color=GREY, markersize=2, alpha=0.5, label="matched hours", zorder=2)
    if len(x):
        day = np.floor(x)
        days = np.unique(day)
        e = np.array([_group_difference(result, day == d) for d in days])
        gap = np.flatnonzero(np.diff(days) > 1) + 1  # no line across days without matched hours
        xs, ys = np.insert(days + 0.5, gap, np.nan), np.insert(e, gap, np.nan)
        ax1.plot(xs, ys, "-", color=BLUE, linewidth=1.6, label="daily value (energy means)", zorder=3)
    ax1.set_title("Hourly difference over time (matched hours)", loc="left", fontsize=13)
    ax1.set_ylabel(label)
    ax1.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    ax1.legend(loc="upper right", fontsize=9, ncols=4)
    bins = np.linspace(np.nanmin(diff) - 1, np.nanmax(diff) + 1, 40) if diff.size else 10
    for s, colour in ((0, BLUE), (1, ORANGE)):
        sel = result.matched_period == s
        if sel.any():
            name = SHADE[s][1]
            ax2.hist(diff[sel], bins=bins, histtype="step", linewidth=1.8, color=colour,
                     label=f"{name}: {int(sel.sum())} h", density=True)  # fmt: skip
            ax2.axvline(_group_difference(result, sel), color=colour, linestyle="--", linewidth=1)
    ax2.set_title("Distribution of the hourly difference, before and after (dashed: each period's value)",
                  loc="left", fontsize=13)  # fmt: skip
    ax2.set_xlabel(label)
    ax2.set_ylabel("share of hours")
    if (result.matched_period >= 0).any():
        ax2.legend(fontsize=9)
    names = [e.period for e in result.effects]
    for i, effect in enumerate(result.effects):
        if effect.db is None:
            ax3.text(i, 0, "no data", ha="center", va="bottom", color=RED)
            continue
        if effect.ci95 is not None:
            ci_lo, ci_hi = effect.ci95
            ax3.errorbar(i, effect.db, yerr=[[effect.db - ci_lo], [ci_hi - effect.db]], fmt="o", color=BLUE,
                         capsize=8, markersize=8, linewidth=2)  # fmt: skip
            ax3.annotate(f"{effect.db:.1f} dB ({ci_lo:.1f}–{ci_hi:.1f})", (i, ci_hi),
                         textcoords="offset points", xytext=(0, 6), ha="center", fontsize=10)  # fmt: skip
        else:
            ax3.plot(i, effect.db, "o", color=BLUE, markersize=8)
    ax3.axhline(0, color=GREY, linewidth=1)
    ax3.set_xticks(range(len(names)), names)
    ax3.set_xlim(-0.6, len(names) - 0.4)
    ax3.set_ylabel("insertion loss, dB")
    ax3.set_title("Insertion loss per period with its 95 % interval (positive = quieter after)", loc="left",
                  fontsize=13)  # fmt: skip
    for ax in (ax1, ax2, ax3):
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def render(body: dict[str, Any], result: TrialResult, png: bytes) -> str:
    t = escape
    rows = "".join(
        f"<tr><td>{t(e.period)}</td><td class=n>{_f(e.db)}</td>"
        f"<td class=n>{'–' if e.ci95 is None else f'{e.ci95[0]:.1f} – {e.ci95[1]:.1f}'}</td>"
        f"<td class=n>{e.hours_before}</td><td class=n>{e.hours_after}</td>"
        f"<td class=n>{e.days_before}</td><td class=n>{e.days_after}</td></tr>"
        for e in result.effects
    )
    warnings = (
        "".join(f"<li><b>{t(w.code)}</b>: {t(w.message)}</li>" for w in result.warnings) or "<li>none</li>"
    )
    periods = " · ".join(
        f"{k} {t(body[k]['start'])} – {t(body[k]['end'])}" for k in ("before", "after") if body.get(k)
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Trial {t(body["trial_id"])}</title><style>{CSS}</style></head><body>
<h1>Trial {t(body["trial_id"])}: {t(body.get("name") or "")}</h1>
<p class=muted>{t(body.get("vendor") or "–")} · {t(body.get("product") or "–")} · {t(body.get("kind") or "")}
 · treated {t(", ".join(body["treated"]))} · reference {t(", ".join(body.get("reference") or []) or "none")}
 <br>{periods}</p>
<h2>Insertion loss</h2>
<table><tr><th>period</th><th>IL, dB</th><th>95 % interval, dB</th><th>hours before</th><th>hours after</th>
<th>days before</th><th>days after</th></tr>{rows}</table>
<h2>Warnings</h2><ul>{warnings}</ul>
{_img("Trial charts", png)}
<h2>Method</h2>
<p>Method <code>{t(result.method)}</code>: {FORMULAS[result.method]}. Each L is the energy mean of the hourly
LAeq of a group over the matched hours of a period (hours in which every sensor reaches the coverage
threshold and that pass the trial's filters). Positive IL means quieter after. 95 % interval: day-block
bootstrap, {result.resamples} resamples of whole local days within each period (ISO 10847; CEN/TS 16272-7;
docs/trials.md).</p>
<p class=muted>Inputs' SHA-256 (hourly levels, coverage and design): <code>{result.inputs_sha256}</code><br>
noiselab {t(__version__)} · written {now}</p>
</body></html>
"""
