"""One set of CSV column names (API, ``noiselab compute``, ``noiselab export``) and the excel-dk dialect
(``;``, decimal comma, UTF-8 byte order mark), parsed back and compared with the plain CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from noiselab.api.csv import EXCEL_DK
from noiselab.cli.commands import compute, export
from noiselab.cli.commands.readings_csv import COLUMNS as READING_COLUMNS
from tests.api.conftest import DAY_START_MS, Api

BOM = "\ufeff"
DAY = "start=2026-06-10&end=2026-06-10&day_start=00:00"
T = "start=2026-06-10T00:00:00Z&end=2026-06-10T01:00:00Z"
URLS = [
    f"/v1/sensors/fac-1/daily?{DAY}",
    "/v1/sensors/fac-1/annual?year=2026",
    f"/v1/sensors/pub-1/levels?{T}&interval=15min",
    f"/v1/sensors/pub-1/levels?{T}&interval=raw",
    f"/v1/sensors/pub-1/events?{T}&threshold=59",
    f"/v1/compliance?{DAY}",
]


def _plain(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _excel_dk(raw: bytes) -> list[dict[str, str]]:
    """What a Danish spreadsheet sees: BOM, ``;`` between cells, decimal commas turned back into points."""
    assert raw.startswith(BOM.encode("utf-8"))
    text = raw.decode("utf-8")[1:]
    assert "\r\n" in text and ";" in text.splitlines()[0]
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    return [{k: _point(v) for k, v in row.items()} for row in rows]


def _point(cell: str) -> str:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return cell
    return cell.replace(",", ".")


@pytest.mark.parametrize("url", URLS)
def test_excel_dk_parses_back_to_the_plain_values(api: Api, url: str) -> None:
    plain = api.get(url + "&format=csv", "engineer")
    dk = api.get(url + "&format=csv&dialect=excel-dk", "engineer")
    assert dk.status_code == 200 and dk.headers["content-type"] == plain.headers["content-type"]
    assert _excel_dk(dk.content) == _plain(plain.text)
    assert _plain(plain.text)  # the tables are not empty, so the comparison compared something
    decimals = [c for row in _plain(plain.text) for c in row.values() if "." in c and _point(c) == c]
    assert decimals, "no decimal number in the table to convert"
    assert "," in dk.text.splitlines()[1]  # a decimal comma really went out


def test_dialect_alone_implies_csv(api: Api) -> None:
    r = api.get(f"/v1/sensors/fac-1/daily?{DAY}&dialect=excel-dk", "engineer")
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith(BOM.encode())
    plain = api.get(f"/v1/sensors/fac-1/daily?{DAY}&dialect=plain", "engineer")
    assert plain.text == api.get(f"/v1/sensors/fac-1/daily?{DAY}&format=csv", "engineer").text


@pytest.mark.parametrize(
    ("query", "role", "status", "words"),
    [
        ("dialect=excel", "engineer", 422, "excel-dk"),
        ("dialect=excel-dk&format=json", "engineer", 422, "applies to CSV"),
        ("dialect=excel-dk", "public", 401, "engineer"),
        ("dialect=excel-dk", "vendor", 403, "engineer"),
    ],
)
def test_bad_dialect_requests(api: Api, query: str, role: str, status: int, words: str) -> None:
    r = api.get(f"/v1/sensors/pub-1/daily?{DAY}&{query}", role)
    assert r.status_code == status
    assert words in r.json()["detail"]


@pytest.mark.parametrize("url", URLS)
def test_csv_headers_are_the_json_keys(api: Api, url: str) -> None:
    header = api.get(url + "&format=csv", "engineer").text.splitlines()[0].split(",")
    rows = api.get(url, "engineer").json()
    keys = set(rows[0]) | {f"{k}_{end}" for k in rows[0] if k.endswith("_ci95") for end in ("low", "high")}
    assert set(header) <= keys, set(header) - keys


def _readings_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    lines = [",".join(READING_COLUMNS)]
    for i in range(0, 86_400, 60):  # the api fixture's fac-1 day: 60 dB, LAFmax 65 dB, 60-s readings
        lines.append(f"fac-1,{(DAY_START_MS + i * 1000) / 1000:.0f},60.0,65.0,,,60")
    for i in range(10):  # plus a 10-s pass-by at 71.3 dB over the morning
        lines.append(f"fac-1,{(DAY_START_MS + (8 * 3600 + 30 + i) * 1000) / 1000:.0f},71.3,,,,1")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compute_writes_the_api_daily_columns(api: Api, tmp_path: Path) -> None:
    out = io.StringIO()
    assert compute.run(_readings_file(tmp_path), fmt="csv", day_start_h=0, out=out) == 0
    computed = out.getvalue().splitlines()[0].split(",")
    served = api.get(f"/v1/sensors/fac-1/daily?{DAY}&format=csv", "engineer").text.splitlines()[0].split(",")
    assert served[: len(computed)] == computed  # the API adds its target comparison after them
    assert served[len(computed)] == "facade"


def test_compute_excel_dk_parses_back(tmp_path: Path) -> None:
    path = _readings_file(tmp_path)
    plain, dk = io.StringIO(), io.StringIO()
    assert compute.run(path, fmt="csv", day_start_h=0, out=plain) == 0
    assert compute.run(path, fmt="csv", day_start_h=0, out=dk, dialect=EXCEL_DK) == 0
    [row] = _plain(plain.getvalue())
    assert row["n_events_70"] == "1" and float(row["lafmax"]) == 65.0  # reported LAFmax only
    assert _excel_dk(dk.getvalue().encode("utf-8")) == [row]


def test_export_excel_dk_parses_back(api: Api, tmp_path: Path) -> None:
    plain, dk = io.StringIO(), io.StringIO()
    end_ms = DAY_START_MS + 3_600_000
    n = export.write_csv(plain, api.store, ["fac-1"], DAY_START_MS, end_ms, chunk_rows=7)
    assert (
        export.write_csv(dk, api.store, ["fac-1"], DAY_START_MS, end_ms, chunk_rows=7, dialect=EXCEL_DK) == n
    )
    rows = _plain(plain.getvalue())
    assert len(rows) == n == 60 and list(rows[0]) == list(READING_COLUMNS)
    assert _excel_dk(dk.getvalue().encode("utf-8")) == rows
