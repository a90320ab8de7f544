"""The report's canonical inputs (noiselab report inputs v1): exact text of hand-built rollups and events,
number rounding, order independence, blocks, and the hash being that of the bytes."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from noiselab.api.views.daily import DailyInputs
from noiselab.cli.report import inputs as canonical
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, Events
from noiselab.processing.rollups import Rollups, rollup

H0 = 1_780_290_000  # 2026-06-01T05:00:00Z, a whole UTC hour


def _rollups(
    rows: list[tuple[int, float, float, float, float]], hist: list[tuple[int, int, float]]
) -> Rollups:
    """Rollups from (hour_s, energy, seconds, lafmax, lcpeak) and (row, class, seconds)."""
    return Rollups(
        sensor=np.zeros(len(rows), dtype=np.int64),
        bucket_s=np.array([r[0] for r in rows], dtype=np.int64),
        energy=np.array([r[1] for r in rows]),
        seconds=np.array([r[2] for r in rows]),
        lafmax=np.array([r[3] for r in rows]),
        lcpeak=np.array([r[4] for r in rows]),
        hist_row=np.array([h[0] for h in hist], dtype=np.int64),
        hist_bin=np.array([h[1] for h in hist], dtype=np.int16),
        hist_seconds=np.array([h[2] for h in hist]),
    )


def _events(rows: list[tuple[float, float, float, int, float, float]]) -> Events:
    """Events from (threshold, start_s, end_s, n_readings, max_db, sel_db)."""
    col = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return Events(
        sensor=np.zeros(len(rows), dtype=np.int64),
        threshold_db=col[:, 0],
        start_s=col[:, 1],
        end_s=col[:, 2],
        duration_s=col[:, 2] - col[:, 1],
        n_readings=col[:, 3].astype(np.int64),
        max_db=col[:, 4],
        sel_db=col[:, 5],
    )


def _text(inputs: DailyInputs, params: EventParams = DEFAULT_EVENTS) -> str:
    return b"".join(canonical.blocks(inputs, params)).decode()


def test_hand_built_inputs_give_the_documented_text() -> None:
    # hour 2 first and hour 1 with its classes out of order: the text is sorted
    r = _rollups(
        [
            (H0 + 3600, 1800 * 10**6.0 + 1800 * 10**7.0, 3600.0, np.nan, np.nan),  # 60 and 70 dB half-half
            (H0, 3600 * 10**6.2, 3600.0, 80.3, 101.0),  # 62 dB all hour
        ],
        [(0, 700, 1800.0), (0, 600, 1800.0), (1, 620, 3600.0)],
    )
    ev = _events(
        [
            (70.0, H0 + 3600 + 0.5, H0 + 3600 + 9.5, 9, 74.2, 83.123456789),
            (65.0, H0 + 60, H0 + 70, 10, 66.0, 75.0),
        ]
    )
    inputs = DailyInputs("vall-01", H0 * 1000, (H0 + 7200) * 1000, r, ev)
    energy_mean = 10 * np.log10((10**6.0 + 10**7.0) / 2)  # 67.403627 dB
    assert f"{energy_mean:.6f}" == "67.403627"
    assert _text(inputs) == (
        "noiselab-report-inputs,1\n"
        "sensor_id,vall-01\n"
        "range_utc,2026-06-01T05:00:00Z,2026-06-01T07:00:00Z\n"
        "event_params,70,5,3,65 70\n"
        "hours,2\n"
        "2026-06-01T05:00:00Z,3600,62,80.3,101,620:3600\n"
        "2026-06-01T06:00:00Z,3600,67.403627,,,600:1800 700:1800\n"
        "events,2\n"
        "65,2026-06-01T05:01:00Z,2026-06-01T05:01:10Z,10,66,75\n"
        "70,2026-06-01T06:00:00.500Z,2026-06-01T06:00:09.500Z,9,74.2,83.123457\n"
    )


def test_empty_inputs_and_other_event_parameters() -> None:
    empty = DailyInputs("s", H0 * 1000, (H0 + 86400) * 1000, Rollups.empty(), Events.empty())
    params = EventParams(threshold_db=72.5, merge_gap_s=2, min_duration_s=0.5)
    assert _text(empty, params) == (
        "noiselab-report-inputs,1\nsensor_id,s\nrange_utc,2026-06-01T05:00:00Z,2026-06-02T05:00:00Z\n"
        "event_params,72.5,2,0.5,65 70 72.5\nhours,0\nevents,0\n"
    )


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (3600.0, 3, "3600"),
        (0.1 + 0.2, 3, "0.3"),  # 0.30000000000000004: the float sum's last bits are rounded away
        (62.0423812, 6, "62.042381"),
        (62.0000004, 6, "62"),
        (62.5, 6, "62.5"),
        (0.0, 6, "0"),
        (-1.25, 3, "-1.25"),
        (1e-9, 6, "0"),
        (float("nan"), 6, ""),
        (float("inf"), 6, ""),
    ],
)
def test_fixed_numbers(value: float, decimals: int, text: str) -> None:
    assert canonical.fixed(np.array([value]), decimals).tolist() == [text]


def test_blocks_join_to_the_same_text_whatever_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    n = 500
    start_s = H0 + np.arange(n * 60) * 60.0  # a reading a minute for 500 hours
    laeq = np.round(rng.normal(55, 8, start_s.size), 1)
    laeq[::700] = np.nan  # not reported: no class, no energy
    keep = np.isfinite(laeq)
    r = rollup(
        np.zeros(int(keep.sum()), dtype=np.int64),
        start_s[keep],
        np.full(int(keep.sum()), 60.0),
        laeq[keep],
        laeq[keep] + 7,
        np.full(int(keep.sum()), np.nan),
    )
    inputs = DailyInputs("x", H0 * 1000, (H0 + n * 3600) * 1000, r, Events.empty())
    whole = _text(inputs)
    monkeypatch.setattr(canonical, "BLOCK_HOURS", 7)
    assert _text(inputs) == whole
    assert len(list(canonical.blocks(inputs, EventParams()))) == 2 + -(-n // 7)
    body = whole.splitlines()[5 : 5 + n]
    # every hour's classes sum to its seconds; classes ascending
    for line, secs in zip(body, r.seconds.tolist(), strict=True):
        classes = [c.split(":") for c in line.split(",")[5].split(" ")]
        assert sum(float(s) for _, s in classes) == secs
        assert [int(k) for k, _ in classes] == sorted(int(k) for k, _ in classes)
    out = io.BytesIO()
    canonical.write(inputs, EventParams(), out)
    assert canonical.sha256(inputs, EventParams()) == hashlib.sha256(out.getvalue()).hexdigest()


@given(st.permutations(list(range(12))))
def test_the_text_does_not_depend_on_the_order_of_rows_or_summation(order: list[int]) -> None:
    """Rollup rows and histogram entries in any order, energies summed in any order: the same text."""
    rng = np.random.default_rng(1)
    levels = np.round(rng.normal(60, 5, (12, 40)), 1)
    ref, perm = [], []
    for rows, dest in ((list(range(12)), ref), (order, perm)):
        energy = np.array(
            [float(np.sum(10 ** (levels[i][:: -1 if k % 2 else 1] / 10) * 90)) for k, i in enumerate(rows)]
        )
        hist = []
        for k, i in enumerate(rows):
            classes, secs = np.unique(np.rint(levels[i] * 10).astype(int), return_counts=True)
            for c, s in zip(classes[::-1], secs[::-1], strict=True):
                hist.append((k, int(c), float(s) * 90))
        r = _rollups([(H0 + 3600 * i, energy[k], 3600.0, np.nan, np.nan) for k, i in enumerate(rows)], hist)
        dest.append(_text(DailyInputs("s", H0 * 1000, (H0 + 12 * 3600) * 1000, r, Events.empty())))
    assert perm == ref
