"""The demo history's bookkeeping: what is still missing after earlier runs, newest first, in chunks."""

from __future__ import annotations

from noiselab.ingest.backfill import chunks, merge, missing_spans

DAY = 86_400


def test_a_fresh_start_publishes_the_whole_span_newest_chunk_first() -> None:
    now = 10 * DAY + 123
    assert missing_spans(now, 7, []) == [(now - 7 * DAY, now)]
    parts = list(chunks(missing_spans(now, 1, [])))
    assert parts[0] == (now - 3600, now) and parts[-1][0] == now - DAY
    assert sum(b - a for a, b in parts) == DAY and all(b - a <= 3600 for a, b in parts)


def test_a_restart_publishes_only_the_gaps() -> None:
    now = 10 * DAY
    done = [(now - 7 * DAY, now - 600)]  # the previous run stopped ten minutes ago
    assert missing_spans(now, 7, done) == [(now - 600, now)]
    assert missing_spans(now + DAY, 7, done) == [(now - 600, now + DAY)]  # a day later: the newest day
    # a run stopped half-way (newest first): the older part is still missing, and the gap since
    half = [(now - 3 * DAY, now - 600)]
    assert missing_spans(now, 7, half) == [(now - 600, now), (now - 7 * DAY, now - 3 * DAY)]
    assert missing_spans(now, 7, [(now - 8 * DAY, now)]) == []
    assert missing_spans(now, 0, []) == []


def test_merge_keeps_disjoint_sorted_spans() -> None:
    assert merge([], (5, 10)) == [(5, 10)]
    assert merge([(0, 5), (10, 20)], (5, 10)) == [(0, 20)]
    assert merge([(0, 5)], (7, 9)) == [(0, 5), (7, 9)]
    assert merge([(0, 5), (7, 9)], (3, 8)) == [(0, 9)]
