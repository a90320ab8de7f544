"""/events and /daily from the events the store keeps at write time equal those found on raw readings."""

from __future__ import annotations

import numpy as np
import pytest

from noiselab.domain.readings import Reading
from tests.api.conftest import DAY_START_MS, Api

E = "engineer"
DAY = "start=2026-06-10&end=2026-06-10&day_start=00:00"


def _day_with_passbys() -> list[Reading]:
    rng = np.random.default_rng(8)
    n = 86_400 // 2
    level = rng.normal(55, 3, n)
    for start in rng.integers(0, n - 10, 300):
        level[start : start + rng.integers(1, 8)] = rng.uniform(64, 88)
    return [
        Reading("pb", DAY_START_MS + 600_000 + i * 2000, 2.0, float(round(lv, 1)), float(round(lv, 1)) + 4)
        for i, lv in enumerate(np.clip(level, 20, 140)[: n - 600])
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/sensors/pb/events?start=2026-06-09T22:00:00Z&end=2026-06-10T22:00:00Z",
        "/v1/sensors/pb/events?start=2026-06-09T22:00:00Z&end=2026-06-10T22:00:00Z&threshold=65&limit=50",
        f"/v1/sensors/pb/daily?{DAY}",
    ],
)
def test_kept_events_answer_like_raw_readings(api: Api, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    api.store.write(_day_with_passbys())
    api.registry.ensure_sensors(["pb"])
    kept = api.get(url, E)
    assert kept.status_code == 200, kept.text
    monkeypatch.setattr(api.store, "events", None)  # the path without kept events: loud raw readings
    raw = api.get(url, E)
    assert kept.json() == raw.json()
    assert kept.headers.get("link") == raw.headers.get("link")
    body = kept.json()
    if "events" in url:
        assert len(body) >= 50
    else:
        assert body[0]["n_events_70"] > 50
