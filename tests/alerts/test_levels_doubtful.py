"""Which health checks put "the measurements are uncertain right now" on the residents' page."""

from __future__ import annotations

import pytest

from noiselab.api.sensor_health import levels_doubtful


def health(check: str, status: str) -> dict[str, object]:
    return {
        "status": status,
        "checks": [{"check": "stale", "status": "ok"}, {"check": check, "status": status}],
    }


@pytest.mark.parametrize(
    ("check", "status", "doubtful"),
    [
        ("frozen", "warning", True),
        ("clipped", "warning", True),
        ("drift", "fault", True),
        ("clock", "fault", True),  # stamped in the future: the times are wrong
        ("clock", "warning", False),  # arrived late: buffered or backfilled, the levels are sound
        ("calibration", "warning", False),  # due soon
        ("calibration", "fault", True),  # overdue
        ("gaps", "fault", False),
        ("battery", "warning", False),
        ("frozen", "ok", False),
        ("frozen", "unknown", False),
    ],
)
def test_levels_doubtful(check: str, status: str, doubtful: bool) -> None:
    assert levels_doubtful(health(check, status)) is doubtful
