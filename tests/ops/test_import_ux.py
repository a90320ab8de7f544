"""What a person sees from ``noiselab import`` (#19): exit status and the refused-rows file, the summary's
new sensors with commands that work, the sensor sheet (good and bad), and a progress bar that owns the
terminal (run in a real pseudo-terminal)."""

from __future__ import annotations

import csv
import logging
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from noiselab.api.app import create_app
from noiselab.cli.main import main
from noiselab.domain.settings import Settings
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.ops.conftest import diurnal_rows, write_csv

HEADER = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")
BAD_LINES = {  # line number -> (row text, reason); the header is line 1
    3: ("s1,2026-06-01T10:00:01,55.0", "time_without_zone"),
    4: ("s2,2026-06-01T10:00:02Z,loud", "bad_type"),
    6: ("s1,2026-06-01T10:00:03Z,200", "out_of_range"),
}


def _with_refusals(path: Path) -> Path:
    lines = {2: "s1,2026-06-01T10:00:00Z,55.0", 5: "s3,2026-06-01T10:00:00Z,50.5", 7: "s1,1780308000,56"}
    lines.update({n: text for n, (text, _reason) in BAD_LINES.items()})
    path.write_text("sensor_id,ts,laeq\n" + "".join(lines[n] + "\n" for n in sorted(lines)))
    return path


def _import(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["import", *args, "--data-dir", str(tmp_path / "data")])


def _registry(tmp_path: Path) -> SqliteRegistry:
    return SqliteRegistry(tmp_path / "data" / "registry.db")


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_refused_rows_exit_1_and_go_to_a_file_with_line_numbers_and_reasons(tmp_path: Path):
    src = _with_refusals(tmp_path / "in.csv")
    result = _import(tmp_path, str(src))
    assert result.exit_code == 1, result.output
    assert "3 row(s) refused" in result.stderr and "--allow-refused" in result.stderr
    refused = tmp_path / "in.csv.refused.csv"
    assert f"refused rows with their line numbers and reasons: {refused}" in result.stdout
    rows = _csv(refused)
    assert rows[0] == ["line", "reason", "detail", "sensor_id", "ts", "laeq"]
    assert [(int(r[0]), r[1], ",".join(r[3:])) for r in rows[1:]] == [
        (n, reason, text) for n, (text, reason) in sorted(BAD_LINES.items())
    ]
    assert all(r[2] for r in rows[1:])  # every row says why in a sentence
    assert "laeq must be a number, got 'loud'" in rows[2][2]
    # the good rows were stored all the same
    store = SqliteStore(tmp_path / "data" / "noise.db")
    assert sorted(store.sensor_ids()) == ["s1", "s3"]
    store.close()


def test_allow_refused_exits_0_and_a_clean_run_removes_a_stale_refused_file(tmp_path: Path):
    src = _with_refusals(tmp_path / "in.csv")
    refused = tmp_path / "elsewhere" / "rows.csv"
    refused.parent.mkdir()
    result = _import(tmp_path, str(src), "--allow-refused", "--refused", str(refused))
    assert result.exit_code == 0, result.output
    assert len(_csv(refused)) == 1 + len(BAD_LINES)
    assert not (tmp_path / "in.csv.refused.csv").exists()
    # corrected in place, the refused file imports as it is (line, reason, detail are ignored columns)
    text = refused.read_text().replace("2026-06-01T10:00:01,", "2026-06-01T10:00:01Z,")
    text = text.replace(",loud", ",61.5").replace(",200", ",70")
    refused.write_text(text)
    result = _import(tmp_path, str(refused), "--refused", str(tmp_path / "again.csv"))
    assert result.exit_code == 0, result.output
    assert f"{len(BAD_LINES)} readings stored" in result.stdout
    assert "ignored columns: line, reason, detail" in result.stdout
    assert not (tmp_path / "again.csv").exists()  # nothing refused, no file
    stale = tmp_path / "in.csv.refused.csv"
    stale.write_text("old\n")
    good = write_csv(tmp_path / "good.csv", diurnal_rows("s9", "2026-06-01", 1, step_s=600), HEADER)
    assert _import(tmp_path, str(good), "--refused", str(stale)).exit_code == 0
    assert not stale.exists()


def test_the_refused_file_cannot_be_the_input(tmp_path: Path):
    src = _with_refusals(tmp_path / "in.csv")
    before = src.read_bytes()
    result = _import(tmp_path, str(src), "--refused", str(src))
    assert result.exit_code == 2 and "another file than the one imported" in result.stderr
    assert src.read_bytes() == before


def test_the_summary_names_new_sensors_and_its_commands_place_them(tmp_path: Path):
    registry = _registry(tmp_path)
    registry.ensure_sensors(["old-1"])  # registered before: not new, but still not on the page
    key = registry.keys.create("admin")[1]
    registry.close()
    rows = diurnal_rows("vall-01", "2026-06-01", 1, step_s=600) + diurnal_rows("old-1", "2026-06-01", 1, 600)
    src = write_csv(tmp_path / "in.csv", rows + diurnal_rows("vall-02", "2026-06-01", 1, 600), HEADER)
    result = _import(tmp_path, str(src))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "new sensors (2), registered by this import: vall-01, vall-02" in out
    assert (
        "not on the residents' page: 3 sensor(s) (3 not placed, 3 not public): old-1, vall-01, vall-02" in out
    )
    sheet = tmp_path / "in.csv.sensors.csv"
    assert _csv(sheet) == [
        ["id", "name", "lat", "lon", "area", "facade", "public"],
        *[[s, "", "", "", "", "no", "no"] for s in ("old-1", "vall-01", "vall-02")],
    ]
    command = next(line.strip() for line in out.splitlines() if line.strip().startswith("noiselab sensors"))
    argv = shlex.split(command)
    assert argv[:4] == ["noiselab", "sensors", "apply", str(sheet)]
    assert argv[4:] == ["--data-dir", str(tmp_path / "data")]

    # fill in the sheet for one sensor and run the printed command as it is
    filled = sheet.read_text().replace(
        "vall-01,,,,,no,no", "vall-01,Torvevej 3,55.619,12.386,housing,yes,yes"
    )
    sheet.write_text(filled)
    applied = CliRunner().invoke(main, argv[1:])
    assert applied.exit_code == 0, applied.output
    assert "0 sensors registered, 3 updated; 1 placed, 1 public" in applied.stdout

    # the printed API call, with coordinates put in, places another through the real app
    curl = next(line.strip() for line in out.splitlines() if "curl -X PATCH" in line and "vall-02" in line)
    words = shlex.split(curl.replace("$NOISELAB_ADMIN_KEY", key))
    url, body = words[3], words[words.index("-d") + 1]
    headers = dict(h.split(": ", 1) for h in (words[i + 1] for i, w in enumerate(words) if w == "-H"))
    store = SqliteStore(tmp_path / "data" / "noise.db")
    registry = _registry(tmp_path)
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"), store, registry)) as client:
        path = url.removeprefix("http://127.0.0.1:8000")
        body = body.replace("<lat>", "55.62").replace("<lon>", "12.39")
        answer = client.request(words[2], path, headers=headers, content=body)
        assert answer.status_code == 200, answer.text
        overview = client.get("/v1/public/overview").text  # the residents' page's data: both are on it
        assert "vall-01" in overview and "vall-02" in overview and "old-1" not in overview
    placed = {s.sensor_id: (s.placed, s.public, s.name, s.facade) for s in registry.list_sensors()}
    assert placed == {
        "old-1": (False, False, None, False),
        "vall-01": (True, True, "Torvevej 3", True),
        "vall-02": (True, True, None, False),
    }
    registry.close()
    store.close()
    # a second import (one more row) names the one still hidden and does not overwrite the sheet
    with src.open("a") as fh:
        fh.write("old-1,2026-06-03T10:00:00Z,50.0,,,,600\n")
    again = _import(tmp_path, str(src))
    assert "new sensors" not in again.stdout
    assert "not on the residents' page: 1 sensor(s) (1 not placed, 1 not public): old-1" in again.stdout
    assert "already at (not overwritten)" in again.stdout and sheet.read_text() == filled


def test_a_sensor_sheet_registers_and_places_in_one_step(tmp_path: Path):
    src = write_csv(tmp_path / "in.csv", diurnal_rows("vall-01", "2026-06-01", 1, step_s=600), HEADER)
    sheet = tmp_path / "sheet.csv"
    # a Danish spreadsheet: ';', decimal comma, byte order mark, 'façade', ja/nej
    sheet.write_text(
        "\ufeffid;name;lat;lon;area;façade;public\n"
        "vall-01;Vallensbæk Torvevej;55,6190;12,3860;housing;ja;ja\n"
        "vall-02;Skolen;55.62;12.39;school;nej;nej\n"
        "vall-03;Ikke placeret;;;;;\n",
        encoding="utf-8",
    )
    result = _import(tmp_path, str(src), "--sensors", str(sheet))
    assert result.exit_code == 0, result.output
    assert "sensor sheet sheet.csv: 2 sensors registered, 1 updated; 2 placed, 1 public" in result.stdout
    registry = _registry(tmp_path)
    got = {s.sensor_id: s for s in registry.list_sensors()}
    assert (got["vall-01"].lat, got["vall-01"].lon) == (55.619, 12.386)
    assert (got["vall-01"].placed, got["vall-01"].public, got["vall-01"].facade) == (True, True, True)
    assert (got["vall-01"].name, got["vall-01"].area_category) == ("Vallensbæk Torvevej", "housing")
    assert (got["vall-02"].placed, got["vall-02"].public, got["vall-02"].area_category) == (
        True,
        False,
        "school",
    )
    assert (got["vall-03"].placed, got["vall-03"].public, got["vall-03"].name) == (
        False,
        False,
        "Ikke placeret",
    )
    actions = [(a["action"], a["target"]) for a in registry.audit.list()]
    assert ("sensor.update", "sensor:vall-01") in actions and ("sensor.create", "sensor:vall-02") in actions
    registry.close()
    # vall-01 is on the page now; the two the sheet left private or unplaced are named, no template written
    assert "not on the residents' page: 2 sensor(s) (1 not placed, 2 not public): vall-02, vall-03" in (
        result.stdout
    )
    assert not (tmp_path / "in.csv.sensors.csv").exists()


BAD_SHEETS = [
    ("id,name,lattitude\ns1,x,55\n", "line 1: unknown column(s) 'lattitude'"),
    ("name,lat,lon\nx,55,12\n", "line 1: no id column"),
    ("id,lat,lat\ns1,55,56\n", "line 1: column(s) given twice: lat"),
    ("id,lat,lon\ns 1,55,12\n", "line 2: id 's 1' is not a sensor id"),
    ("id,lat,lon\ns1,95,12\n", "line 2 (s1): lat 95.0 is outside -90..90 degrees"),
    ("id,lat,lon\ns1,55,east\n", "line 2 (s1): lon must be a number, got 'east'"),
    ("id,lat,lon\ns1,nan,12\n", "line 2 (s1): lat must be a finite number"),
    ("id,lat,lon\n\ns1,55,\n", "line 3 (s1): give both lat and lon, or neither"),
    ("id,public\ns1,maybe\n", "line 2 (s1): public must be yes or no"),
    ("id,area\ns1,downtown\n", "line 2 (s1): area must be one of housing"),
    ('id,name\ns1,"two\nlines"\n', "line 2 (s1): name contains a control character"),
    ("id,name\ns1," + "x" * 201 + "\n", "line 2 (s1): name is longer than 200 characters"),
    ("id,name\ns1,a\ns1,b\n", "line 3: sensor s1 is on line 2 already"),
    ("id,name\ns1,a,extra\n", "line 2: 3 cells but the header names 2 columns"),
    ("id,name\n", "the sheet has no sensor rows"),
    ("", "line 1: no id column"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_SHEETS, ids=[p for _t, p in BAD_SHEETS])
def test_a_bad_sheet_changes_nothing_and_says_where(tmp_path: Path, text: str, problem: str):
    src = write_csv(tmp_path / "in.csv", diurnal_rows("s1", "2026-06-01", 1, step_s=600), HEADER)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(text, encoding="utf-8")
    for args in (["import", str(src), "--sensors", str(sheet)], ["sensors", "apply", str(sheet)]):
        result = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "data")])
        assert result.exit_code == 2, result.output
        assert "was not applied (nothing changed)" in result.stderr
        assert problem in result.stderr
    assert not (tmp_path / "data" / "noise.db").exists()  # the import did not start
    registry = _registry(tmp_path)
    assert registry.list_sensors(include_retired=True) == []
    registry.close()


def test_a_sheet_that_is_not_utf8_is_refused(tmp_path: Path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes("id,name\ns1,Vallensbæk\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["sensors", "apply", str(sheet), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2 and "the file is not UTF-8 text" in result.stderr


def test_every_problem_of_a_sheet_is_listed(tmp_path: Path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,lat,lon,public\ns1,95,12,yes\ns2,55,12,maybe\ns3,55,12,yes\n")
    result = CliRunner().invoke(main, ["sensors", "apply", str(sheet), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert re.findall(r"line (\d) \((s\d)\)", result.stderr) == [("2", "s1"), ("3", "s2")]


def _run_in_pty(argv: list[str], env: dict[str, str], timeout_s: float = 120.0) -> tuple[int, bytes]:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    out = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(leader, 65536)
        except OSError:  # the follower side closed: the command is done
            break
        if not data:
            break
        out += data
    os.close(leader)
    return proc.wait(timeout=10), out


def test_the_progress_bar_owns_the_terminal(tmp_path: Path):
    rows = [r for i in range(6) for r in diurnal_rows(f"s{i}", "2026-06-01", 2, step_s=30, seed=i)]  # 34 560
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    log = tmp_path / "import.log"
    env = {**os.environ, "NOISELAB_LOG_LEVEL": "DEBUG", "COLUMNS": "100"}  # per-block lines exist at DEBUG
    argv = [sys.executable, "-m", "noiselab.cli", "import", str(src), "--data-dir", str(tmp_path / "d")]
    code, out = _run_in_pty([*argv, "--chunk-rows", "2000", "--log-file", str(log)], env)
    text = out.decode("utf-8", "replace")
    assert code == 0, text
    bar, _, summary = text.partition(f"in.csv: {len(rows)} rows read")
    assert summary, text
    # the bar is one line that redraws itself: carriage returns, no line break until it is done
    assert bar.count("\r\n") <= 1 and bar.count("\n") <= 1, repr(bar)
    frames = [f for f in re.split(r"\r", bar) if "importing in.csv" in f]
    assert len(frames) >= 5, repr(bar)
    percents = [int(m) for m in re.findall(r"(\d+)%", bar)]
    assert percents == sorted(percents) and percents[-1] == 100
    assert "{" not in bar and "chunk committed" not in text and "INFO" not in text
    # the log lines went to the file instead: one JSON line per block at DEBUG, and the end
    logged = log.read_text().splitlines()
    assert sum('"msg": "import chunk committed"' in line for line in logged) == -(-len(rows) // 2000)
    assert any('"msg": "import finished"' in line for line in logged)
    assert f"log: {log}" in summary


def test_warnings_are_shown_after_the_bar_and_logging_is_restored(tmp_path: Path):
    src = write_csv(tmp_path / "in.csv", diurnal_rows("s1", "2026-06-01", 1, step_s=600), HEADER)
    (tmp_path / "in.csv.noiselab-import").write_text('{"file": {}, "store_url": "sqlite:///elsewhere"}')
    before = list(logging.getLogger().handlers)
    result = _import(tmp_path, str(src))
    assert result.exit_code == 0, result.output
    assert "belongs to another file or store; starting over" in result.stderr
    assert "WARNING" in result.stderr  # a human line, not JSON
    assert logging.getLogger().handlers == before
    assert "belongs to another file or store" in (tmp_path / "data" / "import.log").read_text()


def test_export_on_a_terminal_shows_one_bar_and_writes_the_same_csv(tmp_path: Path):
    rows = [r for i in range(3) for r in diurnal_rows(f"e{i}", "2026-06-01", 2, step_s=60, seed=i)]
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    data = ["--data-dir", str(tmp_path / "d")]
    assert CliRunner().invoke(main, ["import", str(src), *data]).exit_code == 0
    period = ["--start", "2026-06-01", "--end", "2026-06-02", "--chunk-rows", "500"]
    plain = CliRunner().invoke(main, ["export", *data, *period])  # no terminal: no bar, CSV on stdout only
    assert plain.exit_code == 0 and plain.stderr == ""
    out = tmp_path / "out.csv"
    env = {**os.environ, "NOISELAB_LOG_LEVEL": "DEBUG", "COLUMNS": "100"}
    argv = [sys.executable, "-m", "noiselab.cli", "export", *data, *period, "--out", str(out)]
    code, raw = _run_in_pty(argv, env)
    text = raw.decode("utf-8", "replace")
    assert code == 0, text
    bar, _, tail = text.partition(f"{len(rows)} readings of 3 sensor(s) written to {out}")
    assert tail.strip() == "" and bar.count("\n") <= 1 and "{" not in bar, repr(text)
    percents = [int(m) for m in re.findall(r"(\d+)%", bar)]
    assert percents and percents == sorted(percents) and percents[-1] == 100
    assert out.read_text() == plain.stdout
