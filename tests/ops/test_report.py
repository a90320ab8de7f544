"""noiselab report: noise days, free-field values against free-field limits (the 68 dB line too), period
shading at the clock boundaries, per-period coverage, the same pass-by events as the API, a one-page summary
with the limit table first in the PDF, Danish and English; files, version and hash."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from noiselab import __version__
from noiselab.cli.commands import export
from noiselab.cli.commands.importer import Importer
from noiselab.cli.commands.report import figures, write
from noiselab.cli.main import main
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


def _lines(fig) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {line.get_label(): line for line in fig.axes[0].get_lines()}


def test_report_data_and_charts_carry_the_expected_series(loaded, store, registry):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    inside = [r for r in loaded if FIRST <= float(r[1]) < END]
    assert data.n_readings == len(inside)
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
    # the hash is that of the CSV `noiselab export` writes for the same sensor and times
    lo, hi = _request().bounds_ms()
    sink = export.HashingWriter()
    export.write_csv(sink, store, ["vall-01"], lo, hi)
    assert f'<code class="sha256">{sink.sha256.hexdigest()}</code>' in html
    assert data.input_sha256 == sink.sha256.hexdigest()
    assert "--start 2026-06-01T07:00:00+02:00 --end 2026-06-06T07:00:00+02:00" in html
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


def test_report_command_hash_matches_export_command(loaded, tmp_path: Path):  # type: ignore[no-untyped-def]
    # the fixture wrote into tmp_path/noise.db and registry.db: the default data-dir layout
    data = ["--data-dir", str(tmp_path)]
    out = tmp_path / "r" / "report.html"
    runner = CliRunner()
    args = ["--sensor", "vall-01", "--start", "2026-06-01", "--end", "2026-06-05"]
    result = runner.invoke(main, ["report", *data, *args, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    csv_out = tmp_path / "x.csv"
    times = ["--start", "2026-06-01T07:00:00+02:00", "--end", "2026-06-06T07:00:00+02:00"]
    result = runner.invoke(main, ["export", *data, "--sensor", "vall-01", *times, "--out", str(csv_out)])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(csv_out.read_bytes()).hexdigest() in out.read_text()
    result = runner.invoke(main, ["report", *data, *args, "--out", str(out), "--target", "nope"])
    assert result.exit_code != 0 and "unknown target profile" in result.output
    result = runner.invoke(main, ["report", *data, *args, "--out", str(out), "--lang", "fr"])
    assert result.exit_code == 2 and "'fr' is not one of" in result.output
