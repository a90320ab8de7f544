"""Hostile input, short runs (the long run is ``python -m faults fuzz http-fuzz slow-clients``):
no decoder raises anything but InvalidReading/UnknownFormat, no HTTP answer is a 5xx, every refusal
has a documented reason; slow clients do not starve others."""

from __future__ import annotations

import pytest

from faults import fuzz
from faults.slowclients import slow_clients
from noiselab.domain.errors import InvalidReading
from noiselab.ingest.decoders import MAX_DEPTH, Message, decode


def test_mutated_payloads_never_crash_a_decoder() -> None:
    result = fuzz.fuzz_decoders(20_000, seed=9, workers=1)
    assert result.crash_count == 0, "\n\n".join(result.crashes[:3])
    assert not result.unknown_reasons
    assert result.readings > 1_000 and sum(result.refusals.values()) > 10_000  # both paths exercised
    assert {"too_deep", "too_large", "bad_json", "bad_encoding", "in_future"} <= set(result.refusals)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 200_000])
def test_deep_nesting_is_refused_not_a_recursion_error(depth: int) -> None:
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        with pytest.raises(InvalidReading) as err:
            decode("native", Message("noise/acme/d-1/levels", {}, body, 1.78e9))
        assert err.value.reason in ("too_deep", "too_large")


def test_http_ingest_answers_2xx_or_4xx_only() -> None:
    result = fuzz.fuzz_http(300, seed=9)
    assert not result.crashes, result.crashes[:2]
    assert set(result.statuses) <= {200, 404, 413, 422}
    assert result.statuses[413] >= 1 and result.statuses[422] >= 50


@pytest.mark.slow
def test_slow_clients_do_not_starve_others() -> None:
    figures = slow_clients(slow_headers=10, slow_bodies=10, duration_s=4.0, probes=40)
    assert figures["normal_requests"] >= 20 and figures["normal_non_2xx"] == 0
    assert figures["during_p99_ms"] < 1000, figures


def test_hostile_topics_and_sensor_ids_are_refused_or_kept_whole() -> None:
    """Issue #13: topics and ids with newlines, '..', leading '-'/'.', wildcards, formula starts: every
    accepted reading has a SPEC §4 id (full match), one line of line protocol and a harmless CSV cell."""
    import random

    from noiselab.ingest.decoders import SensorRules

    rng = random.Random(13)
    result = fuzz.FuzzResult()
    for _ in range(3000):
        fuzz.check_topic_and_id(rng, result, SensorRules())
    assert result.crash_count == 0, "\n\n".join(result.crashes[:3])
    assert not result.unknown_reasons
    assert result.readings > 50 and result.refusals["bad_sensor_id"] > 200
    assert result.refusals["unknown_topic"] + result.refusals["bad_topic"] > 200
