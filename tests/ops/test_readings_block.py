"""The bulk CSV parser against the row parser it accelerates: same readings, same refusals, same lines."""

from __future__ import annotations

import csv
import io
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.cli.commands.readings_block import (
    BlockParser,
    ReadingBlock,
    parse_decimals,
    parse_iso_times,
    read_blocks,
)
from noiselab.cli.commands.readings_csv import HeaderError, column_index, parse_row
from noiselab.domain.errors import InvalidReading

NOW_S = 1_790_000_000.0
HEADER = "sensor_id,ts,laeq,lafmax,lafmin,lcpeak,interval_s"

CELLS = {
    "sensor_id": ["vb-01", "vb-02", "s.1_x", "a b", "", " vb-01", "x" * 65, "ø", "a..b", "-a", "x" * 64],
    "ts": [
        "2026-06-10T07:00:00Z",
        "2026-06-10T07:00:01+02:00",
        "2026-06-10T07:00:02-05:30",
        "2026-06-10T07:00:03",
        "2026-02-29T00:00:00Z",
        "2028-02-29T23:59:59Z",
        "2026-13-01T00:00:00Z",
        "2026-06-10T24:00:00Z",
        "1781074800",
        "1781074800.5",
        "1781074800.0005",
        "-5",
        "",
        "soon",
        "2026-06-10T07:00:00.250Z",
        "2026-06-10 07:00:00Z",
        "2030-01-01T00:00:00Z",
        "1e9",
        "4102444801",
    ],
    "laeq": [
        "58.2",
        "58",
        "058.20",
        "-0",
        "15",
        "145",
        "145.0001",
        "14.9",
        "",
        "loud",
        "nan",
        "inf",
        "6e1",
        " 60",
        "1_0.5",
        ".5",
        "5.",
        "-",
        ".",
        "1.2.3",
        "60.123456789012345",
    ],
    "lafmax": ["", "66.1", "70", "200", "x"],
    "lafmin": ["", "40.5", "20", "10"],
    "lcpeak": ["", "90", "100.5", "nan"],
    "interval_s": ["", "1", "0.125", "0", "-1", "86400", "86401", "ten", "60", "0.1", "0.05", "0.0999"],
}


Parsed = tuple[list[tuple[int, tuple[object, ...]]], list[tuple[int, str, str]]]


def _expected(lines: list[str]) -> Parsed:
    """What the row parser makes of each line: (line, reading fields) and (line, reason, detail)."""
    index, _ = column_index(HEADER.split(","))
    good, bad = [], []
    for i, text in enumerate(lines, start=2):
        row = next(csv.reader([text]), [])
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        try:
            r = parse_row(row, index, now_s=NOW_S, default_interval=lambda s: 5.0 if s == "vb-02" else 1.0)
        except InvalidReading as err:
            bad.append((i, err.reason, err.detail))
            continue
        good.append((i, (r.sensor_id, r.start_ms, r.interval_s, r.laeq, r.lafmax, r.lafmin, r.lcpeak)))
    return good, bad


def _parsed(text: bytes, block_rows: int) -> list[ReadingBlock]:
    def parser(header: list[str]) -> BlockParser:
        return BlockParser(header, now_s=NOW_S, default_interval=lambda s: 5.0 if s == "vb-02" else 1.0)

    return list(read_blocks(io.BytesIO(text), parser, block_rows=block_rows))


def _none(v: float) -> float | None:
    return None if math.isnan(v) else v


def _flatten(blocks: list[ReadingBlock]) -> Parsed:
    good, bad = [], []
    for b in blocks:
        for k in range(len(b)):
            sensor = b.sensor_ids[b.sensor[k]]
            levels = (float(b.laeq[k]), _none(b.lafmax[k]), _none(b.lafmin[k]), _none(b.lcpeak[k]))
            good.append((int(b.line[k]), (sensor, int(b.start_ms[k]), float(b.interval_s[k]), *levels)))
        bad += [(r.line, r.error.reason, r.error.detail) for r in b.refused]
    return good, sorted(bad)


def _random_lines(rng: random.Random, n: int) -> list[str]:
    lines = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.03:
            lines.append(rng.choice(["", "   ", "vb-01,2026-06-10T07:00:00Z", "a,b,c,d,e,f,g,h"]))
            continue
        cells = [rng.choice(CELLS[c][:3] if rng.random() < 0.9 else CELLS[c]) for c in HEADER.split(",")]
        if roll < 0.05:
            cells[0] = '"' + cells[0] + '"'
        lines.append(",".join(cells))
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("block_rows", [7, 1000])
def test_bulk_parse_equals_row_parse(seed: int, block_rows: int) -> None:
    lines = _random_lines(random.Random(seed), 600)
    text = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    want_good, want_bad = _expected(lines)
    got_good, got_bad = _flatten(_parsed(text, block_rows))
    assert got_good == want_good
    assert got_bad == sorted(want_bad)
    assert len(want_good) > 200 and len(want_bad) > 100  # both paths exercised


def test_crlf_bom_no_final_newline_and_counts() -> None:
    body = "vb-01,2026-06-10T07:00:00Z,60,,,,\r\n\r\nvb-01,1781074801,61,,,,2"
    text = ("\ufeff" + HEADER + "\r\n" + body).encode()
    (block,) = _parsed(text, 100)
    assert block.start_ms.tolist() == [1781074800000, 1781074801000]
    assert block.interval_s.tolist() == [1.0, 2.0]
    assert block.line.tolist() == [2, 4] and block.rows == 2 and block.last_line == 4
    assert block.n_bytes == len(text) - len(("\ufeff" + HEADER + "\r\n").encode())
    assert block.end_offset == len(text)


def test_a_header_without_laeq_is_refused() -> None:
    with pytest.raises(HeaderError, match="laeq"):
        _parsed(b"sensor_id,ts,lafmax\nvb,2026-06-10T07:00:00Z,60\n", 10)


def test_resume_skips_lines_and_reports_every_byte() -> None:
    lines = [f"vb-01,{1781074800 + i},{50 + i % 10},,,,1" for i in range(50)]
    text = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    seen: list[int] = []
    blocks = list(
        read_blocks(
            io.BytesIO(text), lambda header: BlockParser(header, now_s=NOW_S), block_rows=8, skip_to_line=21,
            progress=seen.append,
        )
    )  # fmt: skip
    lines_read = np.concatenate([b.line for b in blocks]).tolist()
    assert lines_read == list(range(22, 52))
    assert sum(seen) == len(text)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 6))
def test_decimals_are_bit_identical_to_float(x: float, places: int) -> None:
    text = f"{x:.{places}f}"
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    value, ok = parse_decimals(buf, np.array([0]), np.array([len(text)]))
    digits = sum(c.isdigit() for c in text)
    assert bool(ok[0]) == (digits <= 15)
    if ok[0]:
        assert value[0] == float(text) and math.copysign(1, value[0]) == math.copysign(1, float(text))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(), st.integers(-23 * 60 - 59, 23 * 60 + 59))
def test_iso_times_equal_fromisoformat(dt, offset_min: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    aware = dt.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_min)))
    text = aware.isoformat() if offset_min else aware.strftime("%Y-%m-%dT%H:%M:%SZ")
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    seconds, ok = parse_iso_times(buf, np.array([0]), np.array([len(text)]))
    assert ok[0] == (len(text) in (20, 25))
    if ok[0]:
        assert seconds[0] == datetime.fromisoformat(text).timestamp()
