"""The report's charts (matplotlib Agg canvas, no pyplot): each returns a Figure, ``png`` renders it.

Keeping figure construction apart from rendering lets tests check the plotted series themselves (line
and bar data) instead of pixels. Every chart is meant to be read by someone who is not an acoustician:
large type, the limit drawn and labelled, units on the axes, days with too little data shown hollow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from noiselab.processing.periods import PeriodScheme

SIZE = (10, 4.2)
DPI = 110
PERIOD_COLOURS = {"day": "#fff4d6", "evening": "#fde0c5", "night": "#dfe6f3"}
BLUE, RED, GREY, ORANGE = "#1f5fa8", "#c0392b", "#7f8c8d", "#e67e22"


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


def _date_axis(ax: Axes, days: Sequence[date]) -> None:
    span = (days[-1] - days[0]).days if days else 0
    locator = mdates.DayLocator(interval=max(1, -(-span // 14))) if span <= 120 else mdates.MonthLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b" if span <= 120 else "%b %Y"))
    if days:
        ax.set_xlim(mdates.date2num(days[0]) - 0.7, mdates.date2num(days[-1]) + 0.7)


def lden_chart(
    days: Sequence[date],
    lden_db: NDArray[np.float64],
    valid: NDArray[np.float64],
    *,
    limit_db: float | None,
    limit_label: str = "",
) -> Figure:
    """Daily Lden (filled dots: valid days, hollow: coverage below the threshold) and the limit line."""
    fig, ax = _figure("Daily Lden")
    x = mdates.date2num(list(days))
    ok = np.isfinite(lden_db)
    ax.plot(x, lden_db, color=BLUE, linewidth=1.6, label="Lden", zorder=3)
    good = ok & (valid > 0.5)
    weak = ok & ~(valid > 0.5)
    ax.scatter(x[good], lden_db[good], s=30, color=BLUE, zorder=4, label="valid day")
    if weak.any():
        ax.scatter(
            x[weak],
            lden_db[weak],
            s=30,
            facecolors="white",
            edgecolors=BLUE,
            zorder=4,
            label="coverage below threshold",
        )
    values = list(lden_db[ok])
    if limit_db is not None:
        ax.axhline(
            limit_db,
            color=RED,
            linestyle="--",
            linewidth=1.6,
            zorder=2,
            label=f"limit {limit_db:g} dB" + (f" ({limit_label})" if limit_label else ""),
        )
        values.append(limit_db)
    if values:
        ax.set_ylim(min(values) - 4, max(values) + 4)
    ax.set_ylabel("Lden, dB(A)", fontsize=11)
    _date_axis(ax, days)
    fig.legend(loc="outside lower center", fontsize=10, frameon=False, ncols=4)
    return fig


def hourly_chart(hourly_db: NDArray[np.float64], scheme: PeriodScheme) -> Figure:
    """Energy-averaged LAeq per local hour over the whole period, on the scheme's periods."""
    fig, ax = _figure("Hourly profile (energy average over the period)")
    table = scheme.hour_table()
    for h in range(24):
        name = scheme.names[int(table[h])]
        ax.axvspan(h - 0.5, h + 0.5, color=PERIOD_COLOURS.get(name, "#eeeeee"), zorder=0, linewidth=0)
    hours = np.arange(24)
    ax.plot(hours, hourly_db, color=BLUE, marker="o", markersize=4, linewidth=1.8, zorder=3, label="LAeq,1h")
    finite = hourly_db[np.isfinite(hourly_db)]
    if finite.size:
        ax.set_ylim(float(finite.min()) - 5, float(finite.max()) + 5)
        top = float(finite.max()) + 4
        for period in scheme.periods:
            mid = (period.start_h + ((period.end_h - period.start_h) % 24) / 2 - 0.5) % 24
            ax.text(mid, top, period.name, ha="center", va="top", fontsize=10, color="#555555")
    ax.set_xlim(-0.5, 23.5)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xticklabels([f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("local hour (start)", fontsize=11)
    ax.set_ylabel("LAeq, dB(A)", fontsize=11)
    return fig


def events_chart(
    days: Sequence[date], counts: dict[str, NDArray[np.float64]], *, thresholds: Sequence[float]
) -> Figure:
    """Loud events starting in each night (the night that begins on that local date's evening side)."""
    fig, ax = _figure("Loud events starting in the night period, per local date")
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
            label=f"LAeq > {thr:g} dB",
        )
    ax.set_ylabel("events", fontsize=11)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _date_axis(ax, days)
    fig.legend(loc="outside lower center", fontsize=10, frameon=False, ncols=4)
    return fig


def coverage_chart(days: Sequence[date], coverage: NDArray[np.float64], *, threshold: float) -> Figure:
    """Share of each local date with data, against the validity threshold."""
    fig, ax = _figure("Data coverage per day")
    x = mdates.date2num(list(days))
    pct = np.nan_to_num(coverage) * 100
    colours = [BLUE if v >= threshold * 100 else GREY for v in pct]
    ax.bar(x, pct, width=0.8, color=colours)
    ax.axhline(
        threshold * 100, color=RED, linestyle="--", linewidth=1.4, label=f"validity threshold {threshold:.0%}"
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("coverage, %", fontsize=11)
    _date_axis(ax, days)
    fig.legend(loc="outside lower center", fontsize=10, frameon=False, ncols=4)
    return fig


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
