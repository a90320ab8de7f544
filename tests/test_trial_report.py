"""`noiselab report --trial ID`: HTML and PNG from the store and registry of --data-dir."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from noiselab.cli.main import main
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.processing.trialdata import synthetic


def _setup(tmp_path: Path) -> None:
    s = synthetic(21, il_db=4.0, shift_db=5.0, start=date(2027, 3, 15), days_before=21, gap_days=5,
                  days_after=21, tz="Europe/Copenhagen")  # fmt: skip
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(Settings(data_dir=tmp_path).registry_path)
    readings = [
        Reading(sid, int(t) * 1000, 3600.0, float(lv))
        for sid, row in (("vb-01", s.treated_db[0]), ("vb-ref-01", s.reference_db[0]))
        for t, lv in zip(s.hour_s, row, strict=True)
        if np.isfinite(lv)
    ]
    store.write(readings)
    for sid in ("vb-01", "vb-ref-01"):
        registry.upsert_sensor(Sensor(sid))
    iso = [date.fromordinal(x).isoformat() for x in (*s.before, *s.after)]
    registry.trials.create({
        "trial_id": "barrier-a", "name": "Absorbing barrier", "vendor": "acme", "product": "SilentWall 3",
        "kind": "barrier", "method": "baci", "treated": ["vb-01"], "reference": ["vb-ref-01"],
        "before": {"start": iso[0], "end": iso[1]}, "after": {"start": iso[2], "end": iso[3]},
        "hours": None, "weekdays": None, "conditions": None, "public": False,
    })  # fmt: skip
    store.close()
    registry.close()


def test_trial_report_writes_html_and_png(tmp_path: Path) -> None:
    _setup(tmp_path)
    out = tmp_path / "out" / "trial.html"
    res = CliRunner().invoke(
        main, ["report", "--trial", "barrier-a", "--data-dir", str(tmp_path), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    png = out.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert "Insertion loss" in html and "reference_changed" in html and "data:image/png;base64," in html
    sha = html.split("Inputs' SHA-256 (hourly levels, coverage and design): <code>")[1][:64]
    assert len(sha) == 64 and int(sha, 16) >= 0
    il = float(html.split("<tr><td>all</td><td class=n>")[1].split("<")[0])
    assert abs(il - 4.0) < 1.0


def test_unknown_trial_and_missing_options_are_refused(tmp_path: Path) -> None:
    _setup(tmp_path)
    out = str(tmp_path / "x.html")
    runner = CliRunner()
    res = runner.invoke(main, ["report", "--trial", "nope", "--data-dir", str(tmp_path), "--out", out])
    assert res.exit_code == 1 and "no trial 'nope'" in res.output
    res = runner.invoke(main, ["report", "--data-dir", str(tmp_path), "--out", out])
    assert res.exit_code == 2 and "--sensor, --start and --end are required" in res.output
