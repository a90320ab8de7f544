"""Per-request metric parameters, strict query strings (every GET route, from the OpenAPI document),
complete daily tables and paging that returns every row exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from noiselab.domain.readings import Reading
from tests.api.conftest import DAY_START_MS, Api

NOON_MS = DAY_START_MS + 14 * 3_600_000  # 2026-06-10 14:00 local


def _fill(template: str) -> str:
    values = {"sensor_id": "pub-1", "format": "native", "key_id": "x", "profile_id": "dk-road"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), template)


def test_unknown_query_parameter_is_refused_on_every_get_route(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    gets = [path for path, ops in doc["paths"].items() if "get" in ops]
    assert len(gets) >= 10
    for path in gets:
        r = api.get(_fill(path) + "?no_such_param=1", role="admin")
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        assert "no_such_param" in r.json()["detail"], path
    # and a route's declared parameters are accepted
    r = api.get("/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-10&scheme=eu&day_start=00:00")
    assert r.status_code == 200


def test_scheme_day_start_and_coverage_per_request(api: Api) -> None:
    base = "/v1/sensors/pub-1/daily?start=2026-06-10&end=2026-06-10"
    cal = api.get(base + "&day_start=00:00").json()[0]
    assert cal["lden"] == 66.67 and cal["coverage"] == 1.0  # constant 60 dB over the calendar day
    noise = api.get(base).json()[0]  # 07:00 June 10 -> 07:00 June 11: only 17 h measured
    # 22:00-24:00 of the 9-h night measured
    assert noise["coverage"] == round(17 / 24, 4) and noise["coverage_night"] == round(2 / 9, 4)
    assert not noise["valid"]
    lenient = api.get(base + "&day_start=00:00&coverage=1").json()[0]
    assert lenient["valid"] is True
    eu = api.get(base + "&day_start=00:00&scheme=eu").json()[0]
    assert eu["lden"] == 66.4
    bad = api.get(base + "&day_start=07:30")
    assert bad.status_code == 422 and "day_start" in bad.json()["detail"]
    assert api.get(base + "&scheme=xx").status_code == 422


def test_daily_has_a_row_for_every_date_with_event_counts(api: Api) -> None:
    r = api.get("/v1/sensors/pub-1/daily?start=2026-06-08&end=2026-06-12&day_start=00:00")
    rows = r.json()
    assert [x["date"] for x in rows] == [f"2026-06-{d:02d}" for d in range(8, 13)]
    empty = rows[0]
    assert empty["lden"] is None and empty["coverage"] == 0 and empty["valid"] is False
    assert empty["n_events_70"] == 0 and empty["nat80_night"] == 0
    csv = api.get("/v1/sensors/pub-1/daily?start=2026-06-08&end=2026-06-12&format=csv", role="engineer")
    header = csv.text.splitlines()[0].split(",")
    assert header[:3] == ["sensor_id", "date", "lden"]  # the JSON keys (SPEC §5)
    assert "n_events_70_night" in header and "nat75" in header and "lafmax_night" in header
    assert len(csv.text.splitlines()) == 6


def _loud_pass_bys(api: Api, n: int) -> None:
    readings = []
    for k in range(n):  # 4-s pass-bys at 78 dB every 20 s, with a 2-s dip in the middle of each
        t0 = NOON_MS + k * 20_000
        for s, lv in enumerate([78.0, 78.0, 60.0, 60.0, 78.0, 78.0]):
            readings.append(Reading("loud-1", t0 + s * 1000, 1.0, lv, lv + 3))
    api.store.write(readings)


def test_events_per_request_parameters_and_paging(api: Api) -> None:
    _loud_pass_bys(api, 25)
    url = "/v1/sensors/loud-1/events?start=2026-06-10T00:00:00Z&end=2026-06-11T00:00:00Z"
    rows = api.get(url, role="engineer").json()
    assert len(rows) == 25 and rows[0]["duration_s"] == 6 and rows[0]["max_db"] == 81
    # a dip of exactly merge_gap_s splits; the two 2-s halves are too short for the default 3 s
    assert api.get(url + "&merge_gap_s=2", role="engineer").json() == []
    split = api.get(url + "&merge_gap_s=2&min_duration_s=2", role="engineer").json()
    assert len(split) == 50 and split[0]["duration_s"] == 2
    seen = []
    page = api.get(url + "&limit=7", role="engineer")
    while True:
        seen += page.json()
        if "link" not in page.headers:
            break
        nxt = re.match(r"<([^>]+)>; rel=\"next\"", page.headers["link"])
        assert nxt
        page = api.get(nxt.group(1).replace("http://testserver", ""), role="engineer")
    assert seen == rows


def test_raw_levels_paging_returns_every_reading_exactly_once(api: Api) -> None:
    start = "2026-06-09T00:00:00Z"
    end = "2026-06-12T00:00:00Z"
    url = f"/v1/sensors/pub-1/levels?start={start}&end={end}&interval=raw&limit=333"
    seen: list[str] = []
    page = api.get(url, role="engineer")
    pages = 0
    while True:
        pages += 1
        assert page.status_code == 200
        seen += [r["start"] for r in page.json()]
        if "link" not in page.headers:
            break
        page = api.get(
            page.headers["link"][1:].split(">")[0].replace("http://testserver", ""), role="engineer"
        )
    assert len(seen) == len(set(seen)) == 1440 and pages == 5  # 1440 one-minute readings
    first = datetime.fromisoformat(seen[0].replace("Z", "+00:00"))
    assert first == datetime(2026, 6, 9, 22, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["limit=0", "limit=1000001", "cursor=-1"])
def test_bad_paging_parameters(api: Api, bad: str) -> None:
    url = f"/v1/sensors/pub-1/levels?start=2026-06-09T00:00:00Z&end=2026-06-12T00:00:00Z&interval=raw&{bad}"
    assert api.get(url, role="engineer").status_code == 422
