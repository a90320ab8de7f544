"""The residents' page counts the same pass-by events as the API: the settings' event parameters (threshold,
merge gap, minimum duration), readings at or above the threshold, and its sentence names that threshold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.api.residents import Residents, TtlCache
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore

# one-second levels: a pass-by with a 2-s dip (one event), an isolated 1-s spike (no event), a run exactly at
# 70.0 dB for 5 s (an event: at or above), a 6-s run at 67 dB (an event only when the threshold is 65)
PATTERN = [55.0] * 5 + [78.0] * 4 + [60.0] * 2 + [78.0] * 4 + [55.0] * 20 + [75.0] + [55.0] * 20
PATTERN += [70.0] * 5 + [55.0] * 20 + [67.0] * 6 + [55.0] * 10


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


def _client(tmp_path: Path, threshold_db: float) -> Iterator[tuple[TestClient, str, float, Residents]]:
    settings = Settings(data_dir=tmp_path, event_threshold_db=threshold_db)
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(settings.registry_path)
    registry.upsert_sensor(Sensor("pub-1", lat=55.6, lon=12.4, public=True, placed=True))
    now = time.time()
    residents = Residents(store, settings, TtlCache())
    night_start, _ = residents.last_night_window(now)
    readings = []
    for t0 in (now - 3600, night_start + 3600):  # one pattern an hour ago, one in last night
        readings += [Reading("pub-1", int((t0 + i) * 1000), 1.0, lv) for i, lv in enumerate(PATTERN)]
    store.write(readings)
    engineer = registry.keys.create("engineer")[1]
    app = create_app(settings, store, registry)
    with TestClient(app) as client:
        yield client, engineer, now, residents
    store.close()
    registry.close()


@pytest.mark.parametrize(("threshold_db", "expected"), [(70.0, 2), (65.0, 3)])
def test_page_events_equal_api_events(tmp_path: Path, threshold_db: float, expected: int) -> None:
    for client, engineer, now, residents in _client(tmp_path, threshold_db):
        detail = client.get("/v1/public/sensors/pub-1?lang=en").json()
        last_24h = detail["last_24h"]
        start = datetime.fromisoformat(last_24h["start"].replace("Z", "+00:00")).timestamp()
        api = client.get(
            "/v1/sensors/pub-1/events",
            params={"start": _iso(start), "end": _iso(now + 1)},
            headers={"Authorization": f"Bearer {engineer}"},
        ).json()
        # an hour ago, and last night's when it began less than 24 h ago
        assert len(api) == last_24h["events_total"] and len(api) in (expected, 2 * expected)
        assert [e["start"] for e in api] == [e["start"] for e in last_24h["events"]]
        assert last_24h["event_threshold_db"] == threshold_db
        night = detail["last_night"]
        assert night["events_70"] == expected and night["event_threshold_db"] == threshold_db
        word = "events" if expected > 1 else "event"
        assert f"{expected} loud {word} above {threshold_db:g}\xa0dB" in detail["summary"]
        assert residents.events.threshold_db == threshold_db
