"""Issue #13, input findings: the SPEC §4 sensor-id rule on the whole string, and readings before 2000
refused as ``too_old`` whatever the time format. Each test here failed on the code before the fix."""

from __future__ import annotations

import pytest

from noiselab.domain.readings import OLDEST_START_S, SENSOR_ID_RE, valid_sensor_id
from noiselab.ingest.decoders import decode
from tests.decoders.conftest import message, refused, utc_s

NOW = utc_s(2026, 6, 10, 12, 0, 0)
GOOD_IDS = ["a", "9", "vb-strandvej-1", "A.b_c-d", "x" * 64, "s.1.2", "a-", "a_"]
BAD_IDS = [
    "acme-ws-01\n",  # the trailing newline '$' let through
    "\nacme",
    "..",
    "a..b",
    "-",
    "-abc",
    ".hidden",
    "_x",
    "",
    "x" * 65,
    "a b",
    "a/b",
    "a,b",
    "ä",
    "a\r",
    "a\x00",
]


@pytest.mark.parametrize("sid", GOOD_IDS)
def test_good_sensor_ids_are_accepted(sid: str) -> None:
    assert valid_sensor_id(sid)
    out = decode("native", message({"sensor_id": sid, "ts": NOW - 60, "laeq": 55.0}, received_s=NOW))
    assert [r.sensor_id for r in out.readings] == [sid]


@pytest.mark.parametrize("sid", BAD_IDS)
def test_bad_sensor_ids_are_refused_in_the_body(sid: str) -> None:
    assert not valid_sensor_id(sid)
    assert SENSOR_ID_RE.match(sid) is None  # the compiled pattern is a full match even with .match
    err = refused("native", message({"sensor_id": sid, "ts": NOW - 60, "laeq": 55.0}, received_s=NOW))
    assert err.reason == "bad_sensor_id"


@pytest.mark.parametrize("sid", ["..", "-", ".x", "a..b", "acme\n"])
def test_bad_sensor_ids_are_refused_in_the_topic(sid: str) -> None:
    msg = message({"ts": NOW - 60, "laeq": 55.0}, topic=f"noise/acme/{sid}/levels", received_s=NOW)
    assert refused("native", msg).reason in ("bad_sensor_id", "bad_topic")


OLD_TIMES: list[object] = [
    "1970-01-01T00:00:00Z",
    "1900-01-01T00:00:00+00:00",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:59:59+01:00",  # 1999-12-31T23:59:59Z
    0,
    1,
    -1,
    -2208988800,  # 1900
    946684799,
    946684799.5,
]


@pytest.mark.parametrize("ts", OLD_TIMES)
def test_readings_before_2000_are_too_old(ts: object) -> None:
    err = refused("native", message({"sensor_id": "s-1", "ts": ts, "laeq": 55.0}, received_s=NOW))
    assert err.reason == "too_old"


@pytest.mark.parametrize("ts", ["2000-01-01T00:00:00Z", 946684800, "2000-01-01T01:00:00+01:00"])
def test_the_first_instant_of_2000_is_kept(ts: object) -> None:
    out = decode("native", message({"sensor_id": "s-1", "ts": ts, "laeq": 55.0}, received_s=NOW))
    assert [r.start_ms for r in out.readings] == [round(OLDEST_START_S * 1000)]


def test_a_batch_straddling_2000_keeps_only_the_items_from_2000_on() -> None:
    levels = [50.0, 51.0, 52.0, 53.0]
    body = {"sensor_id": "s-1", "start": OLDEST_START_S - 2, "interval_s": 1, "laeq": levels}
    out = decode("native", message(body, received_s=NOW))
    assert [r.laeq for r in out.readings] == [52.0, 53.0]
    assert [(e.index, e.reason) for e in out.refused] == [(0, "too_old"), (1, "too_old")]


def test_an_array_of_1970_readings_is_refused_item_by_item() -> None:
    body = [
        {"sensor_id": "s-1", "ts": 0, "laeq": 50.0},
        {"sensor_id": "s-1", "ts": NOW - 60, "laeq": 51.0},
        {"sensor_id": "s-1", "ts": "1970-01-01T00:00:01Z", "laeq": 52.0},
    ]
    out = decode("native", message(body, received_s=NOW))
    assert [r.laeq for r in out.readings] == [51.0]
    assert sorted((e.index, e.reason) for e in out.refused) == [(0, "too_old"), (2, "too_old")]


def test_ngsi_and_sensorthings_times_before_2000_are_too_old() -> None:
    ngsi = {
        "id": "urn:ngsi-ld:NoiseLevelObserved:s-1",
        "type": "NoiseLevelObserved",
        "refDevice": "s-1",
        "LAeq": 55.0,
        "dateObservedFrom": "1970-01-01T00:00:00Z",
        "dateObservedTo": "1970-01-01T00:01:00Z",
    }
    assert refused("ngsi", message(ngsi, received_s=NOW)).reason == "too_old"
    obs = {"phenomenonTime": "1970-01-01T00:00:00Z", "result": 55.0}
    msg = message(obs, topic="v1.1/Datastreams(7)/Observations", received_s=NOW)
    assert refused("sensorthings", msg).reason == "too_old"
