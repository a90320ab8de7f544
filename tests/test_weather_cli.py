"""`noiselab import-weather`: native and DMI columns (wide and long), 10-minute and hourly, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from noiselab.cli.main import main
from noiselab.domain.settings import Settings
from noiselab.store.registry import SqliteRegistry

H = 1_805_065_200  # 2027-03-14T23:00:00Z, a whole UTC hour


def _import(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, list[tuple[object, ...]]]:
    f = tmp_path / "weather.csv"
    f.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["import-weather", str(f), "--data-dir", str(tmp_path), *extra])
    reg = SqliteRegistry(Settings(data_dir=tmp_path).registry_path)
    rows = reg.weather.hours(0, 2**40)
    reg.close()
    return res.exit_code, res.output, rows


def test_native_hourly_columns(tmp_path: Path) -> None:
    code, out, rows = _import(
        tmp_path,
        "time,wind_speed_ms,wind_dir_deg,precip_mm,temp_c\n"
        "2027-03-14T23:00:00Z,3.5,270,0,4.2\n2027-03-15T01:00:00+01:00,4.0,,0.4,4.0\n",
        "--station", "06181",
    )  # fmt: skip
    assert code == 0, out
    assert rows == [(H, 3.5, 270.0, 0.0, 4.2, "06181"), (H + 3600, 4.0, None, 0.4, 4.0, "06181")]
    assert "2 hours" in out


def test_dmi_ten_minute_wide_and_long_forms_give_the_same_hour(tmp_path: Path) -> None:
    wide = "observed,wind_speed,wind_dir,precip_past10min,temp_dry,humidity\n" + "".join(
        f"2027-03-14T23:{m:02d}:00Z,{s},{d},{p},{t},80\n"
        for m, s, d, p, t in [(0, 2, 350, 0, 3), (10, 4, 10, 0.1, 4), (20, 3, 0, 0.2, 5)]
    )
    code, out, rows = _import(tmp_path, wide)
    assert code == 0, out
    ((hour, speed, direction, precip, temp, _),) = rows
    assert (hour, speed, precip, temp) == (H, 3.0, 0.3, 4.0) and min(direction, 360 - direction) < 5  # type: ignore[operator]
    long = (
        "parameterId,stationId,observed,value\n"
        + "".join(
            f"{p},06181,2027-03-14T23:{m:02d}:00Z,{v}\n"
            for m, vals in [(0, (2, 350, 0, 3)), (10, (4, 10, 0.1, 4)), (20, (3, 0, 0.2, 5))]
            for p, v in zip(("wind_speed", "wind_dir", "precip_past10min", "temp_dry"), vals, strict=True)
        )
        + "humidity,06181,2027-03-14T23:00:00Z,80\n"
    )
    other = tmp_path / "long"
    other.mkdir()
    code, out, rows_long = _import(other, long)
    assert code == 0, out
    assert [r[:5] for r in rows_long] == [r[:5] for r in rows]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,wind\n1,2\n", "header needs a time column"),
        ("time,wind_speed_ms\n2027-03-14T23:00:00,3\n", "line 2: time '2027-03-14T23:00:00' has no zone"),
        ("time,wind_speed_ms\n2027-03-14T23:00:00Z,-3\n", "line 2: wind_speed_ms '-3' outside 0..80"),
        ("time,wind_dir_deg\n2027-03-14T23:00:00Z,north\n", "line 2: could not convert"),
        ("time,temp_c\n2027-03-14T23:00:00Z,4\n2027-03-14T23:10:00Z,nan\n", "line 3: temp_c 'nan'"),
    ],
)
def test_bad_files_are_refused_whole_with_line_numbers(tmp_path: Path, text: str, message: str) -> None:
    code, out, rows = _import(tmp_path, text)
    assert code == 1 and message in out and rows == []
