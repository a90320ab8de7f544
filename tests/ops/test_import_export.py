"""noiselab import / export against a real SqliteStore: round trip, idempotency, resume, refused rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from noiselab.cli.commands import export
from noiselab.cli.commands.importer import Importer, checkpoint_path
from noiselab.cli.commands.readings_csv import COLUMNS, HeaderError
from noiselab.cli.main import main
from noiselab.domain.errors import StoreUnavailable
from noiselab.store.registry import Registry
from noiselab.store.sqlite import SqliteStore
from tests.ops.conftest import diurnal_rows, write_csv

HEADER = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")


def _rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _export(store: SqliteStore, path: Path, sensors: list[str]) -> Path:
    with path.open("w", newline="") as fh:
        export.write_csv(fh, store, sensors, 0, 4_102_444_800_000, chunk_rows=700)  # small chunks on purpose
    return path


def test_round_trip_and_reimport_is_all_duplicates(tmp_path: Path, store: SqliteStore, registry: Registry):
    rows = diurnal_rows("vall-01", "2026-06-01", 2) + diurnal_rows("vall-02", "2026-06-01", 1, step_s=300)
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    imp = Importer(store, registry, store_url="sqlite:///x", chunk_rows=1000)

    first = imp.run(src)
    assert (first.stored, first.duplicates, first.refused) == (len(rows), 0, 0)
    assert not checkpoint_path(src).exists()

    out = _export(store, tmp_path / "out.csv", ["vall-01", "vall-02"])
    exported = _rows_of(out)
    assert list(exported[0]) == list(COLUMNS)
    got = {
        (r["sensor_id"], r["ts"]): (float(r["laeq"]), float(r["lafmax"]), float(r["interval_s"]))
        for r in exported
    }
    want = {
        (r[0], export.format_row(r[0], r[1] * 1000, 0, None, None, None, 1)[1]): (r[2], r[3], float(r[6]))
        for r in rows
    }
    assert got == want

    again = imp.run(src)
    assert (again.stored, again.duplicates, again.refused) == (0, len(rows), 0)

    # the export itself imports into an empty store and exports to the very same bytes
    store2 = SqliteStore(tmp_path / "second.db")
    Importer(store2, registry, store_url="sqlite:///y").run(out)
    assert _export(store2, tmp_path / "out2.csv", ["vall-01", "vall-02"]).read_bytes() == out.read_bytes()
    store2.close()


class _FailingStore(SqliteStore):
    """Our own store, made to fail on its n-th write (the import is interrupted there)."""

    fail_on = 3

    def _fail(self) -> None:
        self.fail_on -= 1
        if self.fail_on == 0:
            raise StoreUnavailable("disk full (simulated)")

    def write(self, readings):  # type: ignore[no-untyped-def]
        self._fail()
        return super().write(readings)

    def write_batch(self, batch, *, block_digest=None):  # type: ignore[no-untyped-def]
        self._fail()
        return super().write_batch(batch, block_digest=block_digest)


def test_interrupted_import_resumes_after_the_last_committed_line(tmp_path: Path, registry: Registry):
    rows = diurnal_rows("vall-01", "2026-06-01", 1)  # 1440 rows
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    failing = _FailingStore(tmp_path / "noise.db")
    with pytest.raises(StoreUnavailable):
        Importer(failing, registry, store_url="sqlite:///n", chunk_rows=500).run(src)
    state = json.loads(checkpoint_path(src).read_text())
    assert state["line"] == 1001  # header + two chunks of 500 rows committed
    assert state["totals"]["stored"] == 1000

    store = SqliteStore(tmp_path / "noise.db")
    resumed = Importer(store, registry, store_url="sqlite:///n", chunk_rows=500).run(src)
    assert resumed.resumed_after_line == 1001
    assert resumed.stored == len(rows)  # totals carried over from the checkpoint
    assert resumed.duplicates == 0  # nothing was written twice
    assert len(store.read("vall-01", 0, 4_102_444_800_000)) == len(rows)
    assert not checkpoint_path(src).exists()

    restarted = Importer(store, registry, store_url="sqlite:///n").run(src, restart=True)
    assert (restarted.stored, restarted.duplicates) == (0, len(rows))
    store.close()
    failing.close()


def test_a_checkpoint_of_another_store_is_ignored(tmp_path: Path, store: SqliteStore, registry: Registry):
    src = write_csv(tmp_path / "in.csv", diurnal_rows("s1", "2026-06-01", 1, step_s=600), HEADER)
    checkpoint_path(src).write_text(json.dumps({"file": {}, "store_url": "sqlite:///other", "line": 100}))
    summary = Importer(store, registry, store_url="sqlite:///mine").run(src)
    assert summary.resumed_after_line == 0
    assert summary.stored == 144


def test_bad_rows_are_reported_with_line_numbers_and_kept(
    tmp_path: Path, store: SqliteStore, registry: Registry
):
    src = tmp_path / "bad.csv"
    src.write_text(
        "sensor_id,ts,LAeq,LAFmax\n"
        "s1,2026-06-01T10:00:00Z,55.0,60\n"  # line 2 ok
        "s1,2026-06-01T10:00:01,55.0,\n"  # line 3: no zone
        "s1,2026-06-01T10:00:02Z,loud,\n"  # line 4: not a number
        "s1,2026-06-01T10:00:03Z,200,\n"  # line 5: out of range
        "\n"  # line 6: blank, skipped
        "s 1,2026-06-01T10:00:04Z,50,\n"  # line 7: bad sensor id
        "s1,2026-06-01T10:00:05Z,,\n"  # line 8: laeq missing
        "s1,2026-06-01T10:00:06+02:00,56.5,61\n"  # line 9 ok
    )
    summary = Importer(store, registry, store_url="sqlite:///z").run(src)
    assert (summary.stored, summary.refused) == (2, 5)
    assert [(r.line, r.reason) for r in summary.refusals] == [
        (3, "time_without_zone"),
        (4, "bad_type"),
        (5, "out_of_range"),
        (7, "bad_sensor_id"),
        (8, "missing_field"),
    ]
    letters = registry.dead_letters()
    assert [(d["source"], d["topic"], d["reason"]) for d in letters] == [
        ("import", f"bad.csv:{r.line}", r.reason) for r in summary.refusals
    ]
    assert letters[1]["raw"] == b"s1,2026-06-01T10:00:02Z,loud,"
    text = "\n".join(summary.lines(src))
    assert "line 4: bad_type: laeq must be a number, got 'loud'" in text


def test_missing_required_column_stops_before_anything_is_written(tmp_path: Path, store, registry):
    src = tmp_path / "nolevel.csv"
    src.write_text("sensor_id,ts,lafmax\ns1,2026-06-01T10:00:00Z,60\n")
    with pytest.raises(HeaderError, match="laeq"):
        Importer(store, registry, store_url="sqlite:///z").run(src)
    assert store.sensor_ids() == []


def test_the_commands_end_to_end(tmp_path: Path):
    rows = diurnal_rows("vall-01", "2026-06-01", 1, step_s=30)
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(main, ["import", str(src), *data, "--chunk-rows", "1000"])
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} readings stored, 0 duplicates" in result.output
    out = tmp_path / "export.csv"
    result = runner.invoke(
        main,
        [
            "export",
            *data,
            "--sensor",
            "vall-01",
            "--start",
            "2026-06-01",
            "--end",
            "2026-06-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(_rows_of(out)) == len(rows)
    # a date range that holds nothing gives only the header
    result = runner.invoke(main, ["export", *data, "--start", "2026-07-01", "--end", "2026-07-02"])
    assert result.output.splitlines()[0] == ",".join(COLUMNS)
    assert len(result.output.splitlines()) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,laeq\n")
    result = runner.invoke(main, ["import", str(bad), *data])
    assert result.exit_code != 0 and "sensor_id" in result.output
