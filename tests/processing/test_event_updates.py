"""Incremental events (processing.event_updates) equal a recomputation from all readings, whatever the
order, the batches, late readings and re-sends. The "store" here is an in-memory fake we own (pure code)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.processing.event_updates import Span, affected_span, events_in_span
from noiselab.processing.events import Events, find_events

THRESHOLDS = (65.0, 70.0)
GAP, MIN_DUR = 5.0, 3.0


class FakeStore:
    """Readings (first version wins) and stored events, updated as a store does at write time."""

    def __init__(self) -> None:
        self.readings: dict[float, tuple[float, float, float]] = {}  # start -> (interval, laeq, lafmax)
        self.events: list[tuple[float, float, float, float, int, float, float]] = []
        self.window_s = 10.0  # small on purpose, so that widening is exercised

    def _loud(self, lo: float, hi: float) -> tuple[np.ndarray, ...]:
        keys = sorted(t for t, (_, lv, _) in self.readings.items() if lo <= t < hi and lv >= min(THRESHOLDS))
        cols = [self.readings[t] for t in keys]
        return (np.array(keys), *(np.array([c[k] for c in cols]) for k in range(3)))

    def _neighbour(self, t: float, *, before: bool) -> float | None:
        loud = [s for s, (_, lv, _) in self.readings.items() if lv >= min(THRESHOLDS)]
        cand = [s for s in loud if (s < t if before else s >= t)]
        return (max(cand) if before else min(cand)) if cand else None

    def write(self, batch: list[tuple[float, float, float, float]]) -> None:
        new = []
        for t, d, lv, fm in batch:
            if t not in self.readings:
                self.readings[t] = (d, lv, fm)
                new.append(t)
        loud_new = [t for t in new if self.readings[t][1] >= min(THRESHOLDS)]
        if not loud_new:
            return
        margin = self.window_s
        while True:
            lo, hi = min(loud_new) - margin, max(loud_new) + margin
            t, d, lv, fm = self._loud(lo, hi)
            prev = self._neighbour(lo, before=True)
            nxt = self._neighbour(hi, before=False)
            span = affected_span(
                t, d, np.isin(t, loud_new), merge_gap_s=GAP,
                before=None if prev is None else (prev, self.readings[prev][0]), after=nxt,
            )  # fmt: skip
            assert span is not None
            if not (span.widen_left or span.widen_right):
                break
            margin *= 2
        replaced = events_in_span(
            span, t, d, lv, fm, thresholds_db=THRESHOLDS, merge_gap_s=GAP, min_duration_s=MIN_DUR
        )
        self.events = [e for e in self.events if not span.start_s <= e[1] <= span.end_s]
        self.events += _rows(replaced)

    def stored(self) -> list[tuple[float, float, float, float, int, float, float]]:
        return sorted(self.events)


def _rows(ev: Events) -> list[tuple[float, float, float, float, int, float, float]]:
    return list(
        zip(
            ev.threshold_db.tolist(), ev.start_s.tolist(), ev.end_s.tolist(), ev.duration_s.tolist(),
            ev.n_readings.tolist(), ev.max_db.tolist(), ev.sel_db.tolist(), strict=True,
        )
    )  # fmt: skip


def _from_raw(readings: dict[float, tuple[float, float, float]]) -> list[tuple[float, ...]]:
    t = np.array(sorted(readings))
    cols = [readings[x] for x in t.tolist()]
    ev = find_events(
        np.zeros(t.size, dtype=np.int64), t, [c[0] for c in cols], [c[1] for c in cols], [c[2] for c in cols],
        thresholds_db=THRESHOLDS, merge_gap_s=GAP, min_duration_s=MIN_DUR,
    )  # fmt: skip
    return sorted(_rows(ev))


def _assert_same(got: list[tuple[float, ...]], want: list[tuple[float, ...]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:5] == w[:5]  # threshold, start, end, duration, count: exact
        np.testing.assert_allclose(g[5:], w[5:], rtol=0, atol=1e-9)  # max exact; SEL: sums in another order


readings_st = st.lists(
    st.tuples(
        st.integers(0, 400),  # start, whole seconds
        st.sampled_from([1.0, 1.0, 1.0, 2.0, 0.5]),  # interval
        st.sampled_from([50.0, 60.0, 64.9, 65.0, 67.0, 70.0, 72.5, 80.0]),  # laeq: thresholds exact too
    ),
    min_size=1,
    max_size=250,
)


@settings(max_examples=150, deadline=None)
@given(readings_st, st.integers(1, 40), st.randoms(use_true_random=False))
def test_incremental_events_equal_a_recomputation_from_raw(rows, batch, rnd) -> None:  # type: ignore[no-untyped-def]
    data = [(float(t), d, lv, lv + 3.0 if t % 3 else float("nan")) for t, d, lv in rows]
    rnd.shuffle(data)  # late readings: any order
    store = FakeStore()
    for i in range(0, len(data), batch):
        store.write(data[i : i + batch])
        if rnd.random() < 0.3:
            store.write(
                rnd.sample(data[: i + batch], min(5, len(data[: i + batch])))
            )  # re-sends change nothing
    _assert_same(store.stored(), _from_raw(store.readings))


def test_a_late_reading_joins_two_events_and_recomputes_only_their_window() -> None:
    store = FakeStore()
    first = [(float(t), 1.0, 75.0, float("nan")) for t in range(100, 105)]
    second = [(float(t), 1.0, 75.0, float("nan")) for t in range(111, 116)]  # 6 s of silence between
    far = [(float(t), 1.0, 80.0, float("nan")) for t in range(500, 510)]
    store.write(first + second + far)
    starts = [(e[0], e[1]) for e in store.stored()]
    assert starts == [
        (65.0, 100.0),
        (65.0, 111.0),
        (65.0, 500.0),
        (70.0, 100.0),
        (70.0, 111.0),
        (70.0, 500.0),
    ]
    untouched = [e for e in store.stored() if e[1] == 500.0]
    store.write([(106.0, 1.0, 66.0, float("nan"))])  # loud at 65 only: joins them at 65, not at 70
    got = store.stored()
    assert [(e[0], e[1], e[2]) for e in got if e[1] < 500] == [(65.0, 100.0, 116.0), (70.0, 100.0, 105.0),
                                                               (70.0, 111.0, 116.0)]  # fmt: skip
    assert [e for e in got if e[1] == 500.0] == untouched
    _assert_same(got, _from_raw(store.readings))


def test_quiet_readings_change_nothing_and_the_span_is_none() -> None:
    assert affected_span([1.0, 2.0], [1.0, 1.0], [False, False], merge_gap_s=GAP) is None
    span = affected_span([1.0, 2.0, 30.0], [1.0, 1.0, 1.0], [False, True, False], merge_gap_s=GAP)
    assert span == Span(1.0, 2.0)
    wide = affected_span(
        [1.0, 2.0], [1.0, 1.0], [True, False], merge_gap_s=GAP, before=(-2.0, 1.0), after=4.0
    )
    assert wide == Span(1.0, 2.0, widen_left=True, widen_right=True)
