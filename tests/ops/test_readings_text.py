"""The vectorised CSV text of readings (export, the report's input hash) is byte for byte the row writer's."""

from __future__ import annotations

import io
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.api.csv import csv_writer
from noiselab.cli.commands.readings_csv import format_block, format_number, format_numbers, format_row


def _rows_text(sensor_id: str, cols: list[np.ndarray]) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    for t, la, fm, fn, cp, iv in zip(*(c.tolist() for c in cols), strict=True):
        writer.writerow(format_row(sensor_id, t, la, fm, fn, cp, iv))
    return out.getvalue()


finite = st.floats(min_value=0, max_value=1e20, allow_nan=False, allow_infinity=False)
levels = st.one_of(
    st.integers(150, 1450).map(lambda k: k / 10),  # the usual: one decimal
    st.integers(1500, 14500).map(lambda k: k / 100),
    finite,
    st.sampled_from([math.nan, -0.0, 0.0, 1e-4, 9.9e-5, 1e15, -1.5]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(levels, st.floats(allow_nan=True)), min_size=1, max_size=50))
def test_numbers_equal_format_number(values: list[float]) -> None:
    got = format_numbers(np.array(values, dtype=np.float64)).tolist()
    assert got == [format_number(v) for v in values]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(946_684_800_000, 4_102_444_799_999), levels, levels, levels, levels,
            st.sampled_from([1.0, 0.125, 60.0, 0.1, 3600.0, 1.5]),
        ),
        min_size=1,
        max_size=40,
    )
)  # fmt: skip
def test_block_equals_the_row_writer(rows: list[tuple[int, float, float, float, float, float]]) -> None:
    cols = [np.array([r[i] for r in rows], dtype=np.int64 if i == 0 else np.float64) for i in range(6)]
    assert format_block("vb-01", *cols) == _rows_text("vb-01", cols)


def test_whole_seconds_and_milliseconds_and_empty() -> None:
    t = np.array([1_780_000_000_000, 1_780_000_000_250], dtype=np.int64)
    one = np.array([58.0, 58.25])
    nan = np.full(2, np.nan)
    text = format_block("s", t, one, nan, nan, nan, np.array([1.0, 0.25]))
    assert text.splitlines() == ["s,2026-05-28T20:26:40Z,58,,,,1", "s,2026-05-28T20:26:40.250Z,58.25,,,,0.25"]
    assert format_block("s", t[:0], *(c[:0] for c in (one, nan, nan, nan, one))) == ""
