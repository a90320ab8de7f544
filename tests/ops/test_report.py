"""noiselab report: noise days, free-field values against free-field limits (the 68 dB line too), period
shading at the clock boundaries, per-period coverage, the same pass-by events as the API, a one-page summary
with the limit table first in the PDF, Danish and English; files, version and hash.

The report is computed from hourly rollups and stored events; its daily values are checked against
``noiselab compute`` on the exported raw readings (an independent path), and its input hash against
``sha256`` of what ``noiselab report --print-inputs`` writes."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from noiselab import __version__
from noiselab.cli.commands.importer import Importer
from noiselab.cli.commands.report import figures, write
from noiselab.cli.main import main
from noiselab.cli.report import inputs as canonical
from noiselab.cli.report.data import ReportRequest, gather
from noiselab.cli.report.summary import summary_page
from noiselab.cli.report.words import Words
from noiselab.processing.decibel import energy_mean
from noiselab.processing.events import EventParams
from noiselab.store.registry import Registry, Sensor
from noiselab.store.sqlite import SqliteStore
from tests.ops.conftest import TZ, diurnal_rows, write_csv

HEADER = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIRST = datetime(2026, 6, 1, 7, tzinfo=TZ).timestamp()  # the first noise day starts at 07:00
END = datetime(2026, 6, 6, 7, tzinfo=TZ).timestamp()  # the day after the last one starts


@pytest.fixture
def loaded(tmp_path: Path, store: SqliteStore, registry: Registry):  # type: ignore[no-untyped-def]
    rows = diurnal_rows("vall-01", "2026-06-01", 6)  # 1 June 00:00 .. 7 June 00:00, one reading a minute
    # a loud night event on 3 June at 23:00 local (5 minutes at 73 dB): one pass-by in the night of 3 June
    loud = {int(r[1]) for r in rows[(2 * 1440 + 23 * 60) : (2 * 1440 + 23 * 60 + 5)]}
    rows = [[r[0], r[1], 73.0, 80.0, "", "", r[6]] if r[1] in loud else r for r in rows]
    # a gap on 4 June 00:00-13:20: 7 h of the night of 3 June and 6 h 20 min of 4 June's day period
    rows = [r for i, r in enumerate(rows) if not (3 * 1440 <= i < 3 * 1440 + 800)]
    registry.upsert_sensor(
        Sensor(sensor_id="vall-01", name="Vallensbæk Ring", area_category="housing", source_type="road")
    )
    Importer(store, registry, store_url="sqlite:///t").run(write_csv(tmp_path / "in.csv", rows, HEADER))
    return rows


def _request(**kw: object) -> ReportRequest:
    return ReportRequest("vall-01", date(2026, 6, 1), date(2026, 6, 5), **kw)  # type: ignore[arg-type]


def _runs(rows: list[list[object]], threshold_db: float) -> int:
    """Pass-bys by hand: runs of consecutive 60-s readings at or above the threshold (no dips to bridge)."""
    loud = sorted(int(r[1]) for r in rows if float(r[2]) >= threshold_db)  # type: ignore[arg-type]
    return sum(1 for i, t in enumerate(loud) if i == 0 or t - loud[i - 1] != 60)


def _lines(fig) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {line.get_label(): line for line in fig.axes[0].get_lines()}


def test_report_data_and_charts_carry_the_expected_series(loaded, store, registry):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    inside = [r for r in loaded if FIRST <= float(r[1]) < END]
    assert data.measured_s == 60.0 * len(inside)  # one reading a minute
    assert data.n_hours == len({int(r[1]) // 3600 for r in inside})  # the hourly rollups it rests on
    assert data.n_events == _runs(inside, 65.0) + _runs(inside, 70.0) and _runs(inside, 70.0) == 1
    assert [d.isoformat() for d in data.days] == [f"2026-06-0{i}" for i in range(1, 6)]
    # hourly profile = energy mean of the readings of each local hour
    rows = np.array([[float(r[1]), float(r[2])] for r in inside])
    hours = (((rows[:, 0] + 7200) // 3600) % 24).astype(int)  # CEST, UTC+2, all of June
    for h in (3, 12, 20, 23):
        assert data.hourly_db[h] == pytest.approx(float(energy_mean(rows[hours == h, 1])), abs=1e-9)
    assert data.hourly_db[12] > data.hourly_db[20] > data.hourly_db[3]

    en = Words("en")
    figs = figures(data, en)
    lines = _lines(figs["lden"])
    np.testing.assert_allclose(lines["Lden, free field"].get_ydata(), data.daily["lden"])  # free field: as is
    assert "measured at the façade" not in lines
    limits = sorted(
        float(line.get_ydata()[0]) for k, line in lines.items() if k.endswith(("…", "parks", "label"))
    )
    assert limits == [58.0, 68.0]  # dk-road housing guideline and the "stærkt støjbelastet" line
    assert data.daily["valid"].tolist() == [1, 1, 0, 0, 1]
    hourly = figs["hourly"].axes[0]
    np.testing.assert_allclose(hourly.get_lines()[0].get_xdata(), np.arange(24) + 0.5)  # hour centres
    np.testing.assert_allclose(hourly.get_lines()[0].get_ydata(), data.hourly_db)
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in hourly.patches]  # the axvspan rectangles
    edges = sorted({round(float(x), 6) for span in spans for x in span})
    assert edges == [0.0, 7.0, 19.0, 22.0, 24.0]  # dk: 07, 19, 22 on the clock, not 06:30 / 18:30
    bars = figs["events"].axes[0].containers
    assert [p.get_height() for p in bars[1]] == [0, 0, 1, 0, 0]  # >= 70 dB: the night of 3 June
    day, evening, night = (list(c) for c in figs["coverage"].axes[0].containers)
    assert night[2].get_height() == pytest.approx(100 * 120 / 540)  # 22:00-24:00 of 540 min
    assert day[3].get_height() == pytest.approx(100 * (720 - 380) / 720)  # from 13:20 of 07-19
    assert evening[3].get_height() == pytest.approx(100.0) and night[0].get_height() == pytest.approx(100.0)
    assert night[2].get_hatch() and day[3].get_hatch() and not night[0].get_hatch()  # below 75 %
    assert data.period_coverages["night"] == pytest.approx((4 * 540 + 120) / (5 * 540))


def test_a_facade_sensor_is_drawn_and_compared_as_free_field(loaded, store, registry):  # type: ignore[no-untyped-def]
    registry.upsert_sensor(
        Sensor(sensor_id="vall-01", area_category="housing", source_type="road", facade=True)
    )
    data = gather(store, registry, _request(facade_correction_db=3.0))
    fig = figures(data, Words("en"))["lden"]
    lines = _lines(fig)
    np.testing.assert_allclose(lines["Lden, free field"].get_ydata(), data.daily["lden"] - 3.0)
    np.testing.assert_allclose(lines["measured at the façade"].get_ydata(), data.daily["lden"])
    assert "− 3 dB" in fig.axes[0].get_title(loc="left")
    [lden58] = [c for c in data.comparisons if c["metric"] == "lden" and c["limit_db"] == 58]
    assert lden58["value_db"] == pytest.approx(data.period_levels["lden"] - 3.0, abs=0.01)
    assert data.free_field_levels["lnight"] == pytest.approx(data.period_levels["lnight"] - 3.0)


def test_events_follow_the_event_parameters(loaded, store, registry):  # type: ignore[no-untyped-def]
    strict = gather(store, registry, _request(events=EventParams(min_duration_s=600)))  # 5 min is too short
    assert np.nansum(strict.daily["n_events_70_night"]) == 0
    lower = gather(store, registry, _request(events=EventParams(threshold_db=72)))
    assert (
        lower.request.event_thresholds == (65.0, 70.0, 72.0)
        and np.nansum(lower.daily["n_events_72_night"]) == 1
    )


def test_report_files_and_the_pdf_summary_page(loaded, store, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    paths = write(data, tmp_path / "out" / "report.html", pdf=True, lang="en")
    html = paths[0].read_text()
    assert [p.name for p in paths] == [
        "report.html",
        "report-lden.png",
        "report-hourly.png",
        "report-events.png",
        "report-coverage.png",
        "report.pdf",
    ]
    for p in paths[1:5]:
        assert p.read_bytes().startswith(PNG_MAGIC)
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(embedded) == 4 and all(base64.b64decode(e).startswith(PNG_MAGIC) for e in embedded)
    pdf = paths[-1].read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 5  # summary + 4 charts
    assert f'<code class="version">{__version__}</code>' in html
    # the hash is that of the canonical text of the rollups and events (checked against the CLI below)
    text = b"".join(canonical.blocks(data.inputs, data.request.events))
    assert data.input_sha256 == hashlib.sha256(text).hexdigest()
    assert f'<code class="sha256">{data.input_sha256}</code>' in html
    assert "--start 2026-06-01 --end 2026-06-05 --scheme dk --tz Europe/Copenhagen --print-inputs" in html
    assert "canonical text (noiselab report inputs v1" in html  # the definition, in the report itself
    assert "https://roligbolig.dk/graensevaerdier/" in html  # the source of the limit value
    assert "Vallensbæk Ring" in html and '<html lang="en">' in html

    page = summary_page(data, Words("da"))
    texts = [t.get_text() for t in page.texts]
    cells = [c.get_text().get_text() for ax in page.axes for t in ax.tables for c in t.get_celld().values()]
    assert "Sammenligning med grænseværdier" in texts and "Resumé" in texts
    assert {"58", "68", "overskredet"} <= set(cells)  # the limit table, 58 exceeded by day-long 62 dB
    assert any(data.input_sha256 in t for t in texts)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("da", ["Resumé", "Døgnværdier", "gyldigt", "dækning nat"]),
        ("en", ["Summary", "Daily values", "valid"]),
    ],
)
def test_report_languages(loaded, store, registry, tmp_path: Path, lang: str, words: list[str]):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    html = write(data, tmp_path / lang / "report.html", lang=lang)[0].read_text()
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html
    other = {"da": "Summary", "en": "Resumé"}[lang]
    assert other not in html


def _cli(*args: str) -> tuple[int, str, bytes]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output, result.stdout_bytes


def test_report_command_hash_is_that_of_print_inputs(loaded, tmp_path: Path):  # type: ignore[no-untyped-def]
    # the fixture wrote into tmp_path/noise.db and registry.db: the default data-dir layout
    data = ["--data-dir", str(tmp_path)]
    out = tmp_path / "r" / "report.html"
    args = ["--sensor", "vall-01", "--start", "2026-06-01", "--end", "2026-06-05"]
    code, output, _ = _cli("report", *data, *args, "--out", str(out), "--lang", "en")
    assert code == 0, output
    html = out.read_text()
    [command] = re.findall(r"<code>(noiselab report [^<]*--print-inputs)</code>", html)
    code, output, printed = _cli(*command.split()[1:], *data)  # the command as the report prints it
    assert code == 0, output
    assert f'<code class="sha256">{hashlib.sha256(printed).hexdigest()}</code>' in html
    lines = printed.decode().splitlines()
    assert lines[:5] == [
        "noiselab-report-inputs,1",
        "sensor_id,vall-01",
        "range_utc,2026-06-01T05:00:00Z,2026-06-06T05:00:00Z",  # 07:00 CEST
        "event_params,70,5,3,65 70",
        f"hours,{5 * 24 - 13}",  # 5 days of hours, less the 13 wholly in the gap (00:00-13:20 on 4 June)
    ]
    assert lines[5].startswith("2026-06-01T05:00:00Z,3600,")  # the first hour: 60 readings of 60 s
    at_70 = [line for line in lines if line.startswith("70,")]  # the one pass-by at 70 dB, 5 readings
    assert len(at_70) == 1 and at_70[0].startswith("70,2026-06-03T21:00:00Z,2026-06-03T21:05:00Z,5,80,")
    assert f"events,{len(lines) - 6 - (5 * 24 - 13)}" in lines


def test_report_command_refuses_bad_input(loaded, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = ["--data-dir", str(tmp_path)]
    out = str(tmp_path / "r" / "report.html")
    args = ["--sensor", "vall-01", "--start", "2026-06-01", "--end", "2026-06-05"]
    code, output, _ = _cli("report", *data, *args, "--out", out, "--target", "nope")
    assert code == 1 and "unknown target profile 'nope'" in output
    code, output, _ = _cli("report", *data, *args, "--out", out, "--lang", "fr")
    assert code == 2 and "'fr' is not one of" in output
    code, output, _ = _cli("report", *data, *args)
    assert code == 2 and "--out is required (or --print-inputs)" in output
    code, output, _ = _cli("report", *data, "--trial", "t1", "--print-inputs")
    assert code == 2 and "--trial needs --out" in output
    code, output, _ = _cli("report", *data, "--sensor", "vall-01", "--start", "1 June", "--end", "2026-06-05",
                           "--print-inputs")  # fmt: skip
    assert code == 2 and "must be dates YYYY-MM-DD" in output
    code, output, _ = _cli("report", *data, "--sensor", "vall-01", "--start", "2026-06-05", "--end",
                           "2026-06-01", "--out", out)  # fmt: skip
    assert code == 2 and "--end must not be before --start" in output
    # hourly rollups cannot be split into the local periods of a +05:45 zone: said so, no traceback
    code, output, _ = _cli("report", *data, *args, "--out", out, "--tz", "Asia/Kathmandu")
    assert code == 1 and "whole hours" in output and "Traceback" not in output
    assert not Path(out).exists()


def test_daily_values_equal_compute_on_the_exported_raw_readings(loaded, store, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The rollup-based report against ``noiselab export`` + ``noiselab compute`` (raw readings, another
    code path): every daily level to 0.01 dB, coverage, validity and the night event counts."""
    data = gather(store, registry, _request())
    csv_path, json_path = tmp_path / "x.csv", tmp_path / "daily.json"
    times = ["--start", "2026-06-01T07:00:00+02:00", "--end", "2026-06-06T07:00:00+02:00"]
    code, output, _ = _cli("export", "--data-dir", str(tmp_path), "--sensor", "vall-01", *times,
                           "--out", str(csv_path))  # fmt: skip
    assert code == 0, output
    code, output, printed = _cli("compute", str(csv_path), "--format", "json")
    assert code == 0, output
    json_path.write_bytes(printed)
    raw = {rec["date"]: rec for rec in json.loads(printed)}
    assert sorted(raw) == [d.isoformat() for d in data.days]
    for i, day in enumerate(data.days):
        rec = raw[day.isoformat()]
        for key in ("lden", "lday", "levening", "lnight", "laeq24", "lafmax", "la90_night"):
            assert data.daily[key][i] == pytest.approx(rec[key], abs=0.01), (day, key)
        for key in ("coverage_day", "coverage_evening", "coverage_night"):
            assert data.daily[key][i] == pytest.approx(rec[key], abs=1e-4), (day, key)
        assert bool(data.daily["valid"][i]) == rec["valid"]
        for key in ("n_events_65_night", "n_events_70_night", "n_events_70"):
            assert data.daily[key][i] == rec[key], (day, key)
    assert sum(rec["n_events_70_night"] for rec in raw.values()) == 1


def test_the_input_hash_follows_the_data_not_the_way_it_arrived(loaded, store, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    before = gather(store, registry, _request())
    # the same readings, shuffled and written in small blocks into another store: the same hash
    shuffled = list(loaded)
    random.Random(7).shuffle(shuffled)
    other = SqliteStore(tmp_path / "other.db")
    try:
        Importer(other, registry, store_url="sqlite:///o", chunk_rows=97).run(
            write_csv(tmp_path / "shuffled.csv", shuffled, HEADER)
        )
        again = gather(other, registry, _request())
        assert again.input_sha256 == before.input_sha256
        np.testing.assert_allclose(again.daily["lden"], before.daily["lden"], atol=1e-9)
        # other event parameters: other events, another hash
        strict = gather(other, registry, _request(events=EventParams(min_duration_s=600)))
        assert strict.input_sha256 != before.input_sha256 and strict.n_events == 0
        # one more reading (in the gap of 4 June): the hour it falls in changes, and so does the hash
        t = int(datetime(2026, 6, 4, 3, tzinfo=TZ).timestamp())
        Importer(other, registry, store_url="sqlite:///o").run(
            write_csv(tmp_path / "one.csv", [["vall-01", t, 55.0, "", "", "", 60]], HEADER)
        )
        after = gather(other, registry, _request())
        assert after.input_sha256 != before.input_sha256 and after.n_hours == before.n_hours + 1
        # a reading outside the report's period changes nothing
        late = int(END) + 3600
        Importer(other, registry, store_url="sqlite:///o").run(
            write_csv(tmp_path / "late.csv", [["vall-01", late, 55.0, "", "", "", 60]], HEADER)
        )
        assert gather(other, registry, _request()).input_sha256 == after.input_sha256
    finally:
        other.close()
