"""SQLite specifics: LoRaWAN dedupe ids, files with the previous histogram layout, fractional seconds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from noiselab.domain.readings import Reading
from noiselab.store.hourly import LEGACY_DTYPE, decode_hists
from noiselab.store.sqlite import SCHEMA_VERSION, SqliteStore
from tests.store.series import assert_rollups_equal, expected_rollups, local_midnight_s, series

T0 = local_midnight_s("2026-02-02")
ALL = (0, 2**62)


def test_an_uplink_seen_before_is_a_duplicate_under_another_start(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    first = Reading("s-1", 1_000_000, 10.0, 55.0, dedupe_id="uplink-1")
    again = Reading("s-1", 1_002_000, 10.0, 55.0, dedupe_id="uplink-1")  # another receive time
    other = Reading("s-1", 1_004_000, 10.0, 57.0, dedupe_id="uplink-2")
    assert store.write([first]).stored == 1
    result = store.write([again, other])
    assert (result.stored, result.duplicates) == (1, 1)
    assert store.rollups("s-1", *ALL).seconds.sum() == 20.0
    store.close()


def test_a_file_with_legacy_histograms_is_converted_once_on_open(tmp_path: Path) -> None:
    rs = series("s-1", T0, 720)
    store = SqliteStore(tmp_path / "noise.db")
    store.write(rs)
    store.close()
    conn = sqlite3.connect(tmp_path / "noise.db")  # rewrite it as the previous version left it
    rows = conn.execute("SELECT sensor_id, hour_s, hist FROM rollups_hourly").fetchall()
    for sensor_id, hour_s, blob in rows:
        _, cls, sec = decode_hists([blob])
        legacy = np.empty(cls.size, dtype=LEGACY_DTYPE)
        legacy["bin"], legacy["seconds"] = cls, sec
        conn.execute(
            "UPDATE rollups_hourly SET hist = ? WHERE sensor_id = ? AND hour_s = ?",
            (legacy.tobytes(), sensor_id, hour_s),
        )
    conn.execute("PRAGMA user_version = 0")
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path / "noise.db")
    assert store._query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs))
    more = series("s-1", T0 + 7200, 360, seed=9)  # and merging into converted rows works
    store.write(more)
    assert_rollups_equal(store.rollups("s-1", *ALL), expected_rollups(rs + more))
    store.close()


def test_fractional_intervals_keep_exact_seconds(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "noise.db")
    rs = series("s-1", T0, 9000, interval_s=0.1)
    store.write(rs)
    got = store.rollups("s-1", *ALL)
    assert_rollups_equal(got, expected_rollups(rs))
    store.close()
