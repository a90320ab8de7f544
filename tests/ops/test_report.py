"""noiselab report: files exist, charts are PNG with the expected series, HTML has version and hash."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date
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
from noiselab.processing.decibel import energy_mean
from noiselab.store.registry import Registry, Sensor
from noiselab.store.sqlite import SqliteStore
from tests.ops.conftest import diurnal_rows, write_csv

HEADER = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def loaded(tmp_path: Path, store: SqliteStore, registry: Registry):  # type: ignore[no-untyped-def]
    rows = diurnal_rows("vall-01", "2026-06-01", 5)
    # a loud night event on 3 June at 23:00 local (5 minutes above 70 dB)
    loud = {int(r[1]) for r in rows[(2 * 1440 + 23 * 60) : (2 * 1440 + 23 * 60 + 5)]}
    rows = [[r[0], r[1], 73.0, 80.0, "", "", r[6]] if r[1] in loud else r for r in rows]
    rows = [r for i, r in enumerate(rows) if not (3 * 1440 <= i < 3 * 1440 + 800)]  # a gap on 4 June
    registry.upsert_sensor(
        Sensor(sensor_id="vall-01", name="Vallensbæk Ring", area_category="housing", source_type="road")
    )
    Importer(store, registry, store_url="sqlite:///t").run(write_csv(tmp_path / "in.csv", rows, HEADER))
    return rows


def _request() -> ReportRequest:
    return ReportRequest("vall-01", date(2026, 6, 1), date(2026, 6, 5))


def test_report_data_and_charts_carry_the_expected_series(loaded, store, registry):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    assert data.n_readings == len(loaded)
    assert [d.isoformat() for d in data.days] == [f"2026-06-0{i}" for i in range(1, 6)]
    # hourly profile = energy mean of the readings of each local hour
    rows = np.array([[float(r[1]), float(r[2])] for r in loaded])
    hours = (((rows[:, 0] + 7200) // 3600) % 24).astype(int)  # CEST, UTC+2, all of June
    for h in (3, 12, 20, 23):
        assert data.hourly_db[h] == pytest.approx(float(energy_mean(rows[hours == h, 1])), abs=1e-9)
    assert data.hourly_db[12] > data.hourly_db[20] > data.hourly_db[3]

    figs = figures(data)
    lden_ax = figs["lden"].axes[0]
    line, limit = lden_ax.get_lines()[0], lden_ax.get_lines()[1]
    np.testing.assert_allclose(line.get_ydata(), data.daily["lden"])
    assert list(limit.get_ydata()) == [58.0, 58.0]  # dk-road, housing
    assert data.daily["valid"].tolist() == [1, 1, 1, 0, 1]
    np.testing.assert_allclose(figs["hourly"].axes[0].get_lines()[0].get_ydata(), data.hourly_db)
    bars = figs["events"].axes[0].containers
    assert [p.get_height() for p in bars[1]] == [0, 0, 1, 0, 0]  # > 70 dB: the night of 3 June
    coverage = [p.get_height() for p in figs["coverage"].axes[0].containers[0]]
    assert coverage[3] == pytest.approx(100 * (1440 - 800) / 1440)
    assert coverage[0] == pytest.approx(100.0)


def test_report_files(loaded, store, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = gather(store, registry, _request())
    paths = write(data, tmp_path / "out" / "report.html", pdf=True)
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
    assert paths[-1].read_bytes().startswith(b"%PDF")
    assert f'<code class="version">{__version__}</code>' in html
    # the hash is that of the CSV `noiselab export` writes for the same sensor and dates
    lo, hi = _request().bounds_ms()
    sink = export.HashingWriter()
    export.write_csv(sink, store, ["vall-01"], lo, hi)
    assert f'<code class="sha256">{sink.sha256.hexdigest()}</code>' in html
    assert data.input_sha256 == sink.sha256.hexdigest()
    assert "https://roligbolig.dk/graensevaerdier/" in html  # the source of the limit value
    assert "Vallensbæk Ring" in html


def test_report_command_hash_matches_export_command(loaded, tmp_path: Path):  # type: ignore[no-untyped-def]
    # the fixture wrote into tmp_path/noise.db and registry.db: the default data-dir layout
    data = ["--data-dir", str(tmp_path)]
    out = tmp_path / "r" / "report.html"
    runner = CliRunner()
    args = ["--sensor", "vall-01", "--start", "2026-06-01", "--end", "2026-06-05"]
    result = runner.invoke(main, ["report", *data, *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    csv_out = tmp_path / "x.csv"
    result = runner.invoke(main, ["export", *data, *args, "--out", str(csv_out)])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(csv_out.read_bytes()).hexdigest() in out.read_text()
    result = runner.invoke(main, ["report", *data, *args, "--out", str(out), "--target", "nope"])
    assert result.exit_code != 0 and "unknown target profile" in result.output
