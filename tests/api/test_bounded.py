"""Large ranges are read in bounded pages (never the whole range into memory), and results do not depend on
the page size."""

from __future__ import annotations

import tracemalloc

import pytest

from noiselab.api.views import events as events_view
from noiselab.api.views import source
from noiselab.domain.readings import Reading
from tests.api.conftest import DAY_START_MS, Api


def _spy_reads(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    limits: list[int | None] = []
    real = api.store.read

    def read(*args: object, limit: int | None = None, min_laeq_db: float | None = None) -> object:
        limits.append(limit)
        return real(*args, limit=limit, min_laeq_db=min_laeq_db)  # type: ignore[arg-type]

    monkeypatch.setattr(api.store, "read", read)
    return limits


@pytest.mark.parametrize(
    "url",
    [
        "/v1/sensors/long/daily?start=2026-06-09&end=2026-06-13",
        "/v1/sensors/long/annual?year=2026",
        "/v1/compliance?start=2026-06-01&end=2026-06-30&sensor_id=long",
        "/v1/sensors/long/levels?start=2026-06-01T00:00:00Z&end=2026-06-20T00:00:00Z&interval=1h",
        "/v1/sensors/long/levels?start=2026-06-01T00:00:00Z&end=2026-06-20T00:00:00Z&interval=1d",
        "/v1/sensors/long/levels?start=2026-06-09T00:00:00Z&end=2026-06-14T00:00:00Z&interval=1min",
    ],
)
def test_paged_reads_give_the_same_answer(api: Api, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    api.store.write(
        [Reading("long", DAY_START_MS + i * 30_000, 30.0, 50.0 + (i % 37) / 3) for i in range(4 * 2880)]
    )
    api.registry.ensure_sensors(["long"])
    whole = api.get(url, "engineer").json()  # from the store's rollups and events where it keeps them
    limits = _spy_reads(api, monkeypatch)
    monkeypatch.setattr(api.store, "rollups", None)  # force the paged raw path
    monkeypatch.setattr(api.store, "minute_levels", None)  # (1min/15min: the minute rollups)
    monkeypatch.setattr(api.store, "events", None)  # (daily event counts: the events kept at write time)
    monkeypatch.setitem(source.raw_pages.__kwdefaults__, "page_rows", 1000)
    monkeypatch.setattr(events_view, "PAGE_ROWS", 1000)  # the loud readings behind daily event counts
    assert api.get(url, "engineer").json() == whole
    assert len(limits) >= 11 and all(n is not None and n <= 1000 for n in limits)


@pytest.mark.slow
@pytest.mark.parametrize("rollups", [True, False], ids=["store-rollups", "raw-pages"])
def test_three_days_of_one_second_data_in_bounded_memory(
    api: Api, monkeypatch: pytest.MonkeyPatch, rollups: bool
) -> None:
    n = 3 * 86_400
    for lo in range(0, n, 100_000):
        api.store.write(
            [
                Reading("dense", DAY_START_MS + i * 1000, 1.0, 55.0 + (i % 11))
                for i in range(lo, min(n, lo + 100_000))
            ]
        )
    if not rollups:
        monkeypatch.setattr(api.store, "rollups", None)
    tracemalloc.start()
    try:
        # the data are three calendar days
        resp = api.get("/v1/sensors/dense/daily?start=2026-06-10&end=2026-06-12&day_start=00:00", "engineer")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status_code == 200 and len(resp.json()) == 3
    assert all(r["coverage"] == 1.0 for r in resp.json())
    # three days as Python rows would need about 100 MB; pages of 100 000 rows stay near 30 MB
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB"


def test_raw_levels_are_paged_instead_of_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = _spy_reads(api, monkeypatch)
    url = "/v1/sensors/pub-1/levels?start=2026-06-10T00:00:00Z&end=2026-06-10T03:00:00Z"
    url += "&interval=raw&limit=100"
    resp = api.get(url, "engineer")
    assert resp.status_code == 200 and len(resp.json()) == 100
    assert resp.headers["x-next-cursor"] == str(DAY_START_MS + 2 * 3_600_000 + 100 * 60_000)
    assert limits == [101]  # one bounded read per page
