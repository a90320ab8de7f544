"""The collector's once-a-minute summary: numbers right, said once per window, per batch only at DEBUG."""

from __future__ import annotations

import logging

import pytest

from noiselab.ingest.summary import IngestSummary, describe


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_summary_once_a_minute_with_rate_refusals_and_lag(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    summary = IngestSummary(logging.getLogger("noiselab.test.summary"), every_s=60, clock=clock)
    caplog.set_level(logging.DEBUG, logger="noiselab.test.summary")
    summary.add(messages=10, stored=600, duplicates=5, reasons=["bad_topic", "out_of_range"], lag_s=0.2)
    clock.now += 30
    summary.add(messages=20, stored=1200, duplicates=0, reasons=["bad_topic"], lag_s=1.5)
    assert not summary.maybe_emit()  # 30 s: not yet
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    clock.now += 30
    assert summary.maybe_emit()
    info = caplog.records[-1]
    assert info.levelno == logging.INFO
    assert info.getMessage() == (
        "last 60 s: 1800 readings stored (30.0/s) from 30 messages, 5 duplicates, "
        "3 refused (bad_topic 2, out_of_range 1), lag 1.50 s"
    )
    assert (info.stored, info.refused, info.rate_per_s, info.lag_s) == (1800, 3, 30.0, 1.5)  # type: ignore[attr-defined]
    clock.now += 60
    assert summary.maybe_emit()  # a quiet minute is said too
    assert caplog.records[-1].getMessage() == "last 60 s: nothing received"


def test_describe_lists_the_four_most_common_reasons() -> None:
    text = describe(60, 5, 0, 0, {"a": 1, "b": 5, "c": 2, "d": 2, "e": 1}, 0.0)
    assert "5 refused" not in text and "11 refused (b 5, c 2, d 2, a 1, ...)" in text
    assert "(0.0/s)" in describe(0, 1, 0, 0, {}, 0.0)
