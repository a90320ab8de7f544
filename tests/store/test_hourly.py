"""store.hourly: the histogram encoding (lossless, compact for whole seconds) and the batch rollup merge."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from noiselab.domain.readings import Reading
from noiselab.processing.rollups import rollup
from noiselab.store.hourly import (
    LEGACY_DTYPE,
    SPARSE,
    HourRow,
    affected_hours,
    decode_hists,
    encode_hist,
    hist_from_legacy,
    hist_from_text,
    hist_to_text,
    rollups_from_rows,
    updated_rows,
)
from tests.store.series import assert_rollups_equal


def _hist(draw_bins: list[int], seconds: list[float]) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(draw_bins)
    return np.asarray(draw_bins, dtype=np.int64)[order], np.asarray(seconds, dtype=np.float64)[order]


@st.composite
def histograms(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    bins = draw(st.lists(st.integers(0, 2000), min_size=1, max_size=60, unique=True))
    whole = st.integers(1, 2**33).map(float)
    fractional = st.floats(1e-6, 1e7, allow_nan=False, allow_infinity=False)
    seconds = draw(st.lists(whole | fractional, min_size=len(bins), max_size=len(bins)))
    return _hist(bins, seconds)


@given(st.lists(histograms(), min_size=1, max_size=8))
def test_any_histograms_decode_to_exactly_what_was_encoded(
    hists: list[tuple[np.ndarray, np.ndarray]],
) -> None:
    row, cls, sec = decode_hists([encode_hist(b, s) for b, s in hists])
    assert row.dtype == np.int64 and cls.dtype == np.int16 and sec.dtype == np.float64
    np.testing.assert_array_equal(row, np.repeat(np.arange(len(hists)), [b.size for b, _ in hists]))
    np.testing.assert_array_equal(cls, np.concatenate([b for b, _ in hists]))
    np.testing.assert_array_equal(sec, np.concatenate([s for _, s in hists]))  # bit for bit


@pytest.mark.parametrize(("top", "kind"), [(255.0, 1), (256.0, 2), (65_535.0, 2), (65_536.0, 4), (3600.0, 2)])
def test_whole_seconds_are_dense_in_the_narrowest_width(top: float, kind: int) -> None:
    bins, seconds = _hist(list(range(550, 560)), [1.0] * 9 + [top])
    blob = encode_hist(bins, seconds)
    assert blob[0] == kind and len(blob) == 3 + 10 * kind


def test_a_noisy_hour_of_one_second_readings_takes_a_few_hundred_bytes() -> None:
    levels = np.round(np.random.default_rng(3).normal(60, 4, 3600), 1)
    bins, seconds = np.unique(np.rint(levels * 10).astype(np.int64), return_counts=True)
    blob = encode_hist(bins, seconds.astype(np.float64))
    assert blob[0] == 1 and len(blob) < 400  # legacy layout: 10 bytes per class, ~2 400 bytes


def test_fractional_and_wide_sparse_histograms_keep_float64_pairs() -> None:
    for bins, seconds in (_hist([500, 501], [0.1, 0.30000000000000004]), _hist([0, 2000], [1.0, 2.0])):
        blob = encode_hist(bins, seconds)
        assert blob[0] == SPARSE and len(blob) == 1 + 10 * bins.size
        _, cls, sec = decode_hists([blob])
        np.testing.assert_array_equal(cls, bins)
        np.testing.assert_array_equal(sec, seconds)


def test_empty_inputs() -> None:
    row, cls, sec = decode_hists([])
    assert row.size == cls.size == sec.size == 0
    assert decode_hists([encode_hist(np.zeros(0), np.zeros(0))])[0].size == 0


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown histogram layout"):
        decode_hists([bytes([7, 0, 0, 1])])


def test_legacy_blobs_and_influx_text_convert_to_the_current_layout() -> None:
    legacy = np.array(
        [(612, 3.0), (600, 1.5)], dtype=LEGACY_DTYPE
    ).tobytes()  # unordered, as merges left them
    current = hist_from_legacy(legacy)
    _, cls, sec = decode_hists([current])
    assert cls.tolist() == [600, 612] and sec.tolist() == [1.5, 3.0]
    assert hist_from_text(base64.b64encode(legacy).decode()) == current
    assert hist_from_text(hist_to_text(current)) == current


@st.composite
def reading_batches(draw: st.DrawFn) -> list[list[Reading]]:
    n = draw(st.integers(1, 80))
    level = st.floats(0, 130) | st.just(float("nan"))
    maximum = st.none() | st.floats(0, 140)
    readings = [
        Reading(
            draw(st.sampled_from(["a", "b", "c"])),
            draw(st.integers(-3, 5)) * 3_600_000 + draw(st.integers(0, 3_599_999)),
            draw(st.sampled_from([1.0, 10.0, 60.0, 0.0, -1.0])),
            draw(level),
            draw(maximum),
            None,
            draw(maximum),
        )
        for _ in range(n)
    ]
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return [readings[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]


@given(reading_batches())
def test_batches_merged_one_after_another_equal_processings_rollup_of_all(
    batches: list[list[Reading]],
) -> None:
    table: dict[tuple[str, int], HourRow] = {}
    for batch in batches:
        stored = [
            table[k] for s, hours in affected_hours(batch).items() for h in hours if (k := (s, h)) in table
        ]
        table.update({(r.sensor_id, r.hour_s): r for r in updated_rows(batch, stored)})
    everything = [r for b in batches for r in b]
    for sensor in "abc":
        mine = [r for r in everything if r.sensor_id == sensor]
        rows = sorted((r for k, r in table.items() if k[0] == sensor), key=lambda r: r.hour_s)
        got = rollups_from_rows(rows)
        want = rollup(
            np.zeros(len(mine), dtype=np.int64),
            np.array([r.start_ms // 1000 for r in mine], dtype=np.int64),
            np.array([r.interval_s for r in mine]),
            np.array([r.laeq for r in mine]),
            np.array([r.lafmax for r in mine], dtype=np.float64),
            np.array([r.lcpeak for r in mine], dtype=np.float64),
        )
        assert_rollups_equal(got, want)
