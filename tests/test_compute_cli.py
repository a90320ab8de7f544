"""`noiselab compute`: the CSV contract of SPEC §5 end to end through the click command."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from noiselab.cli.main import main

HEADER = "sensor_id,ts,laeq,lafmax,interval_s\n"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["compute", *args])
    return result.exit_code, result.stdout, result.stderr


def test_dst_days_gaps_shuffled_rows_and_two_sensors(tmp_path: Path) -> None:
    rows = []
    # sensor a: 60-s readings at 55 dB over 2026-03-28..30 local (spring change on the 29th), ISO times
    start = datetime(2026, 3, 27, 23, tzinfo=UTC).timestamp()  # 2026-03-28 00:00 CET
    end = datetime(2026, 3, 30, 22, tzinfo=UTC).timestamp()  # 2026-03-31 00:00 CEST
    t = start
    while t < end:
        rows.append(f"a,{_iso(t)},55.0,,60")
        t += 60
    # sensor b: the autumn day 2026-10-25 (25 h) with a 3-h gap in the day, epoch seconds, 10-s readings
    t = datetime(2026, 10, 24, 22, tzinfo=UTC).timestamp()
    end = datetime(2026, 10, 25, 23, tzinfo=UTC).timestamp()
    gap = (
        datetime(2026, 10, 25, 9, tzinfo=UTC).timestamp(),
        datetime(2026, 10, 25, 12, tzinfo=UTC).timestamp(),
    )
    while t < end:
        if not gap[0] <= t < gap[1]:
            rows.append(f"b,{int(t)},62.5,70.1,10")
        t += 10
    random.Random(7).shuffle(rows)
    path = _write(tmp_path / "r.csv", rows)
    code, out, err = _invoke(str(path), "--scheme", "dk", "--day-start", "00:00")
    assert code == 0, err
    # the default noise day (07:00 -> 07:00): the spring change falls in the night of 28 March (8 h)
    noise = {(r["sensor_id"], r["date"]): r for r in json.loads(_invoke(str(path))[1])}
    assert noise["a", "2026-03-28"]["coverage"] == 1.0 and noise["a", "2026-03-28"]["lnight"] == 55.0
    assert noise["a", "2026-03-27"]["coverage"] == round(7 / 24, 4)  # only 00:00-07:00 of 28 March
    recs = {(r["sensor_id"], r["date"]): r for r in json.loads(out)}
    assert sorted(recs) == [
        ("a", "2026-03-28"),
        ("a", "2026-03-29"),
        ("a", "2026-03-30"),
        ("b", "2026-10-25"),
    ]
    spring = recs["a", "2026-03-29"]
    assert spring["coverage"] == 1.0 and spring["valid"] is True and spring["lden"] == 61.67
    assert spring["lafmax"] is None
    autumn = recs["b", "2026-10-25"]
    assert autumn["coverage"] == round((25 - 3) / 25, 4)
    assert autumn["coverage_day"] == 0.75 and autumn["valid"] is True
    assert autumn["lday"] == 62.5 and autumn["lafmax"] == 70.1 and autumn["la90"] == 62.5
    assert list(autumn)[:14] == [
        "sensor_id",
        "date",
        "lden",
        "lday",
        "levening",
        "lnight",
        "laeq24",
        "lafmax",
        "la10",
        "la50",
        "la90",
        "la95",
        "coverage",
        "valid",
    ]


def test_eu_scheme_and_csv_output(tmp_path: Path) -> None:
    base = datetime(2026, 6, 9, 22, tzinfo=UTC).timestamp()  # 2026-06-10 00:00 CEST
    levels = [52.0] * 7 + [65.0] * 12 + [60.0] * 3 + [58.0, 52.0]
    rows = [f"s1,{int(base + 3600 * h)},{lv},,3600" for h, lv in enumerate(levels)]
    path = _write(tmp_path / "p.csv", rows)
    code, out, err = _invoke(str(path), "--scheme", "eu", "--format", "csv", "--day-start", "00:00")
    assert code == 0, err
    (rec,) = list(csv.DictReader(out.splitlines()))
    assert rec["lden"] == "64.13" and rec["lnight"] == "52.0" and rec["valid"] == "true"
    assert rec["lafmax"] == "" and rec["coverage"] == "1.0"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("a,2026-06-10T10:00:00,60,,1", "no time zone"),
        ("a,2026-06-10T10:00:00Z,loud,,1", "laeq must be a number"),
        ("a,2026-06-10T10:00:00Z,150,,1", "outside the plausible range"),
        ("a,2026-06-10T10:00:00Z,,,1", "laeq is required"),
        ("a,2026-06-10T10:00:00Z,60,,-1", "interval_s"),
        ("a b,2026-06-10T10:00:00Z,60,,1", "sensor id"),
        ("a,2026-06-10T10:00:00Z,60", "expected 5 fields"),
    ],
)
def test_bad_rows_are_refused_with_line_numbers(tmp_path: Path, row: str, reason: str) -> None:
    good = "a,2026-06-10T10:00:00Z,60,,1"
    code, out, err = _invoke(str(_write(tmp_path / "bad.csv", [good, good, row, good])))
    assert code == 1 and out == ""
    assert "line 4:" in err and reason in err and "refused" in err


def test_missing_required_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "nolaeq.csv", ["a,2026-06-10T10:00:00Z,60"], header="sensor_id,ts,lafmax\n")
    code, _, err = _invoke(str(path))
    assert code == 1 and "line 1" in err and "laeq" in err


def test_header_only_gives_empty_list_and_unknown_zone_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.csv", [])
    assert _invoke(str(path))[:2] == (0, "[]\n")
    code, _, err = _invoke(str(path), "--tz", "Mars/Olympus")
    assert code == 2 and "time zone" in err


def test_small_chunks_give_the_same_records(tmp_path: Path) -> None:
    import io

    from noiselab.cli.commands.compute import compute_records

    rng = random.Random(3)
    base = datetime(2026, 10, 24, 20, tzinfo=UTC).timestamp()
    rows = [
        f"{rng.choice('xyz')},{int(base + 10 * rng.randrange(3 * 8640))},{rng.randrange(300, 900) / 10},,10"
        for _ in range(5000)
    ]
    text = HEADER + "\n".join(rows) + "\n"
    whole, errors = compute_records(io.StringIO(text))
    chunked, _ = compute_records(io.StringIO(text), chunk_rows=333)
    assert not errors and whole == chunked and len(whole) >= 6
