"""Short versions of the delivery fault runs on a real Mosquitto (the long ones: ``python -m faults``).
Each ends with an exact count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faults import delivery
from faults.harness import MissingBinary
from tests.services import IN_CI

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def run(fn: Any, tmp_path: Path, **kw: Any) -> dict[str, Any]:
    try:
        figures: dict[str, Any] = fn(tmp_path, **kw)
    except MissingBinary as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    assert figures["ok"], figures
    return figures


def test_sigkill_at_random_instants_loses_nothing(tmp_path: Path) -> None:
    f = run(delivery.sigkill, tmp_path, readings=5_000, kills=3, seed=1)
    assert f["stored"] == f["published"] == 5_000 and f["duplicates_in_store"] == 0


def test_broker_restart_during_ingest_loses_nothing(tmp_path: Path) -> None:
    f = run(delivery.broker_restart, tmp_path, readings=5_000, restarts=1)
    assert f["stored"] == f["published"] == 5_000 and f["duplicates_in_store"] == 0


def test_store_outage_holds_everything_unacknowledged(tmp_path: Path) -> None:
    f = run(delivery.store_outage, tmp_path, readings=2_000, outage_s=3.0)
    assert f["acknowledged_during_outage"] == 0 and f["stored"] == 2_000
    assert f["max_messages_held"] <= f["max_unacked_setting"]


def test_full_disk_holds_messages_then_recovers(tmp_path: Path) -> None:
    f = run(delivery.disk_full, tmp_path, readings=10_000, full_s=1.0)
    assert f["failed_writes_while_full"] >= 3 and f["stored_while_full"] < 10_000
    assert f["stored"] == 10_000 and f["duplicates_in_store"] == 0


def test_skewed_clock_refuses_only_the_far_future(tmp_path: Path) -> None:
    f = run(delivery.skewed_clock, tmp_path, per_case=30)
    assert f["stored"] == 60 and f["refused"] == {"in_future": 30}
