"""Friendlier 422 messages: an unescaped '+' in a time (it arrives as a space) gets "use %2B or Z"; bad times,
dates, numbers and missing parameters say what to send."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

LEVELS = "/v1/sensors/pub-1/levels?interval=1h"
END = "end=2026-06-10T03:00:00Z"


@pytest.mark.parametrize(
    "start", ["2026-06-10T00:00:00+02:00", "2026-06-10T00:00+02:00", "2026-06-10T00:00:00.5+0200"]
)
def test_an_unescaped_plus_gets_the_hint(api: Api, start: str) -> None:
    resp = api.get(f"{LEVELS}&start={start}&{END}", "engineer")  # '+' left raw: the server reads a space
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail.startswith("query.start: ") and "use %2B" in detail and "or Z" in detail


def test_the_escaped_plus_works(api: Api) -> None:
    resp = api.get(f"{LEVELS}&start=2026-06-10T00:00:00%2B02:00&{END}", "engineer")
    assert resp.status_code == 200
    rows = resp.json()
    assert rows[0]["start"] == "2026-06-09T22:00:00Z" and len(rows) == 5  # 00:00+02:00 .. 03:00Z


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (f"start=2026-06-10T00:00:00&{END}", ["query.start", "give a time zone", "Z (UTC)"]),
        (f"start=yesterday&{END}", ["query.start", "e.g. 2026-06-10T07:00:00Z", "got 'yesterday'"]),
        (END, ["query.start: is required"]),
    ],
)
def test_time_messages(api: Api, query: str, words: list[str]) -> None:
    resp = api.get(f"{LEVELS}&{query}", "engineer")
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    for word in words:
        assert word in detail
    assert "use %2B" not in detail  # the '+' hint only where the offset was lost


def test_date_and_number_messages(api: Api) -> None:
    daily = api.get("/v1/sensors/pub-1/daily?start=2026-6-1&end=2026-06-10").json()["detail"]
    assert "expected a local date YYYY-MM-DD" in daily and "got '2026-6-1'" in daily
    events = "/v1/sensors/pub-1/events?start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z&threshold=loud"
    detail = api.get(events, "engineer").json()["detail"]
    assert detail.startswith("query.threshold: ") and "got 'loud'" in detail
