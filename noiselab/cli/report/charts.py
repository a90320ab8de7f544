"""The report's charts (matplotlib Agg canvas, no pyplot): each returns a Figure, ``png`` renders it.

Keeping figure construction apart from rendering lets tests check the plotted series themselves (line
and bar data) instead of pixels. Every chart is meant to be read by someone who is not an acoustician:
large type, the limits drawn and labelled, units on the axes, days with too little data shown hollow. Words
come from the report catalogs (:mod:`noiselab.cli.report.words`).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from noiselab.cli.report.words import Words
from noiselab.domain.targets import Limit
from noiselab.processing.events import EventParams
from noiselab.processing.periods import PeriodScheme

SIZE = (10, 4.2)
DPI = 110
PERIOD_COLOURS = {"day": "#fff4d6", "evening": "#fde0c5", "night": "#dfe6f3"}
PERIOD_BARS = {"day": "#e0a800", "evening": "#e67e22", "night": "#2c4f8a"}
BLUE, RED, GREY, ORANGE, PURPLE = "#1f5fa8", "#c0392b", "#7f8c8d", "#e67e22", "#6c3483"


def _figure(title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg renderer, without pyplot's global state
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=13, loc="left")
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=10)
    return fig, ax


def _date_axis(ax: Axes, days: Sequence[date], words: Words) -> None:
    span = (days[-1] - days[0]).days if days else 0
    locator = mdates.DayLocator(interval=max(1, -(-span // 14))) if span <= 120 else mdates.MonthLocator()
    ax.xaxis.set_major_locator(locator)
    fmt = str(words.entry("meta.date_format")) if span <= 120 else "%m/%Y"
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    if days:
        ax.set_xlim(mdates.date2num(days[0]) - 0.7, mdates.date2num(days[-1]) + 0.7)


LIMIT_STYLES = {  # how a limit row of each kind is drawn: colour, line style
    "guideline": (RED, "--"),
    "limit": (RED, "--"),
    "recommendation": (RED, "--"),
    "label": (PURPLE, "-."),
    "reporting": (GREY, ":"),
}


def lden_chart(
    days: Sequence[date],
    free_field_db: NDArray[np.float64],
    valid: NDArray[np.float64],
    *,
    limits: Sequence[Limit],
    words: Words,
    measured_db: NDArray[np.float64] | None = None,
    correction_db: float = 0.0,
) -> Figure:
    """Daily Lden as free-field values (filled dots: valid days, hollow: coverage below the threshold)
    against every Lden limit row of the profile (free-field values), e.g. the 58 dB guideline and the 68 dB
    "stærkt støjbelastet" line. For a façade sensor the measured levels are drawn too, dotted, and the
    title states the correction."""
    w = "charts.lden."
    title = words(w + "title_facade", correction=f"{correction_db:g}") if measured_db is not None else None
    fig, ax = _figure(title or words(w + "title"))
    x = mdates.date2num(list(days))
    ok = np.isfinite(free_field_db)
    ax.plot(x, free_field_db, color=BLUE, linewidth=1.6, label=words(w + "series"), zorder=3)
    good = ok & (valid > 0.5)
    weak = ok & ~(valid > 0.5)
    ax.scatter(x[good], free_field_db[good], s=30, color=BLUE, zorder=4, label=words(w + "valid"))
    if weak.any():
        ax.scatter(
            x[weak], free_field_db[weak], s=30, facecolors="white", edgecolors=BLUE, zorder=4,
            label=words(w + "weak"),
        )  # fmt: skip
    values = list(free_field_db[ok])
    if measured_db is not None:
        ax.plot(
            x, measured_db, color=GREY, linestyle=":", linewidth=1.4, zorder=2, label=words(w + "measured")
        )
        values += list(measured_db[np.isfinite(measured_db)])
    for lim in sorted((lim for lim in limits if lim.metric == "lden"), key=lambda lim: lim.value_db):
        colour, style = LIMIT_STYLES.get(lim.kind, (GREY, "--"))
        label = words(w + "limit", value=f"{lim.value_db:g}", label=_short(lim.label))
        ax.axhline(lim.value_db, color=colour, linestyle=style, linewidth=1.6, zorder=2, label=label)
        values.append(lim.value_db)
    if values:
        ax.set_ylim(min(values) - 4, max(values) + 4)
    ax.set_ylabel(words(w + "ylabel"), fontsize=11)
    _date_axis(ax, days, words)
    fig.legend(loc="outside lower center", fontsize=9, frameon=False, ncols=3)
    return fig


def _short(label: str, most: int = 52) -> str:
    return textwrap.shorten(label, most, placeholder=" …")


def period_spans(scheme: PeriodScheme) -> list[tuple[str, float, float]]:
    """Each period as spans of the local clock, ``(name, start_h, end_h)``; a period across midnight
    (22–07) gives two spans (22–24 and 0–7)."""
    spans = []
    for p in scheme.periods:
        if p.end_h > p.start_h:
            spans.append((p.name, float(p.start_h), float(p.end_h)))
        else:
            spans += [(p.name, float(p.start_h), 24.0), (p.name, 0.0, float(p.end_h))]
    return sorted((s for s in spans if s[2] > s[1]), key=lambda s: s[1])


def hourly_chart(hourly_db: NDArray[np.float64], scheme: PeriodScheme, *, words: Words) -> Figure:
    """Energy-averaged LAeq per local hour over the whole report, each drawn at the middle of its hour, on
    the scheme's periods shaded at their exact clock boundaries (07, 19, 22 in ``dk``)."""
    w = "charts.hourly."
    fig, ax = _figure(words(w + "title"))
    spans = period_spans(scheme)
    for name, lo, hi in spans:
        ax.axvspan(lo, hi, color=PERIOD_COLOURS.get(name, "#eeeeee"), zorder=0, linewidth=0)
    centres = np.arange(24) + 0.5
    ax.plot(centres, hourly_db, color=BLUE, marker="o", markersize=4, linewidth=1.8, zorder=3)
    finite = hourly_db[np.isfinite(hourly_db)]
    if finite.size:
        ax.set_ylim(float(finite.min()) - 5, float(finite.max()) + 6)
        top = float(finite.max()) + 5
        for name, lo, hi in spans:
            if hi - lo >= 2:
                ax.text(
                    (lo + hi) / 2, top, words.period(name), ha="center", va="top", fontsize=10, color="#555"
                )
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 2))
    ax.set_xticklabels([f"{h:02d}" for h in range(0, 25, 2)])
    ax.set_xlabel(words(w + "xlabel"), fontsize=11)
    ax.set_ylabel(words(w + "ylabel"), fontsize=11)
    return fig


def events_chart(
    days: Sequence[date],
    counts: dict[str, NDArray[np.float64]],
    *,
    thresholds: Sequence[float],
    params: EventParams,
    words: Words,
) -> Figure:
    """Pass-by events (:mod:`noiselab.processing.events`, the settings' parameters) starting in each
    day's night period, one bar per threshold."""
    w = "charts.events."
    fig, ax = _figure(words(w + "title", min_s=f"{params.min_duration_s:g}", gap_s=f"{params.merge_gap_s:g}"))
    x = mdates.date2num(list(days))
    width = 0.8 / max(len(thresholds), 1)
    colours = [ORANGE, RED, "#8e44ad"]
    for i, thr in enumerate(thresholds):
        n = np.nan_to_num(counts.get(f"n_events_{thr:g}_night", np.zeros(len(days))))
        ax.bar(
            x + (i - (len(thresholds) - 1) / 2) * width,
            n,
            width=width,
            color=colours[i % len(colours)],
            label=words(w + "series", threshold=f"{thr:g}"),
        )
    ax.set_ylabel(words(w + "ylabel"), fontsize=11)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _date_axis(ax, days, words)
    fig.legend(loc="outside lower center", fontsize=10, frameon=False, ncols=4)
    return fig


def coverage_chart(
    days: Sequence[date],
    daily: dict[str, NDArray[np.float64]],
    scheme: PeriodScheme,
    *,
    threshold: float,
    words: Words,
) -> Figure:
    """Coverage of each period of each day (one bar per period) against the threshold that each period
    must reach for the day to be valid; bars below it are hatched."""
    w = "charts.coverage."
    fig, ax = _figure(words(w + "title"))
    x = mdates.date2num(list(days))
    width = 0.8 / len(scheme.names)
    for i, name in enumerate(scheme.names):
        pct = np.nan_to_num(daily.get(f"coverage_{name}", np.zeros(len(days)))) * 100
        bars = ax.bar(
            x + (i - (len(scheme.names) - 1) / 2) * width,
            pct,
            width=width,
            color=PERIOD_BARS.get(name, GREY),
            edgecolor="white",
            label=words.period(name),
        )
        for bar, value in zip(bars, pct, strict=True):
            if value < threshold * 100:
                bar.set_hatch("///")
                bar.set_alpha(0.45)
    ax.axhline(
        threshold * 100,
        color=RED,
        linestyle="--",
        linewidth=1.4,
        label=words(w + "threshold", pct=words.pct(threshold)),
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel(words(w + "ylabel"), fontsize=11)
    _date_axis(ax, days, words)
    fig.legend(loc="outside lower center", fontsize=10, frameon=False, ncols=4)
    return fig


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
