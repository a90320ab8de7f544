"""The PDF's first page: a one-page summary on A4 with the limit table (matplotlib, no pyplot).

Title and sensor, the levels over the report as free-field values with each period's coverage, the
summary's sentences (the façade correction stated), the comparison with every limit value of the profile,
and the noiselab version with the input data's SHA-256.
"""

from __future__ import annotations

import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from noiselab import __version__
from noiselab.cli.report.data import ReportData
from noiselab.cli.report.html import intro, limit_rows, summary_lines, summary_table
from noiselab.cli.report.words import Words

A4 = (8.27, 11.69)
LEFT = 0.07
WIDTH = 0.86
HEAD = "#f4f6f8"


def _wrapped(fig: Figure, y: float, text: str, *, size: float = 9.5, width: int = 105) -> float:
    """Write ``text`` wrapped from height ``y`` (figure fraction) down; returns the height below it."""
    lines = textwrap.wrap(text, width=width)
    fig.text(LEFT, y, "\n".join(lines), fontsize=size, va="top", ha="left", linespacing=1.35)
    return y - len(lines) * size * 1.35 / 72 / A4[1] - 0.012


def _table(fig: Figure, y: float, rows: list[list[str]], widths: list[float], *, size: float = 8.0) -> float:
    """A table (first row the header) from height ``y`` down; returns the height below it."""
    row_h = 0.024
    rows = [[textwrap.fill(h, 12) for h in rows[0]], *rows[1:]]
    head_lines = max(h.count("\n") + 1 for h in rows[0])
    height = row_h * (len(rows) - 1 + head_lines)
    ax = fig.add_axes((LEFT, y - height, WIDTH, height))
    ax.axis("off")
    table = ax.table(cellText=rows[1:], colLabels=rows[0], colWidths=widths, loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(size)
    table.scale(1, 1)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("#cccccc")
        cell.set_height((head_lines if r == 0 else 1) / (len(rows) - 1 + head_lines))
        if r == 0:
            cell.set_facecolor(HEAD)
            cell.set_text_props(weight="bold")
    return y - height - 0.02


def summary_page(d: ReportData, words: Words) -> Figure:
    """The summary page of the PDF."""
    w = words
    fig = Figure(figsize=A4)
    FigureCanvasAgg(fig)
    fig.text(LEFT, 0.955, w("title", name=d.sensor.name or d.request.sensor_id), fontsize=17, weight="bold")
    y = _wrapped(fig, 0.925, intro(d, w))
    fig.text(LEFT, y, w("summary.heading"), fontsize=13, weight="bold", va="top")
    y = _wrapped(fig, y - 0.028, w("summary.levels"), size=9)
    head, cells = summary_table(d, w)
    y = _table(fig, y, [head, cells], [1 / len(head)] * len(head), size=8.5)
    for line in summary_lines(d, w):
        y = _wrapped(fig, y, "• " + line)
    fig.text(LEFT, y - 0.005, w("limits.heading"), fontsize=13, weight="bold", va="top")
    y -= 0.035
    rows = limit_rows(d, w)
    if rows:
        cols = w.entry("limits.columns")[:7]
        body = [[*r[:6], textwrap.shorten(r[6], 44, placeholder="…")] for r in rows]
        y = _table(fig, y, [cols, *body], [0.07, 0.09, 0.12, 0.09, 0.11, 0.1, 0.42], size=7.5)
    else:
        y = _wrapped(fig, y, w("limits.none"))
    repro = f"noiselab {__version__} · {w('repro.sha256')} {d.input_sha256}"
    fig.text(LEFT, 0.035, repro, fontsize=7, color="#555555")
    return fig
