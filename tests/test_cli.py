"""The command line and the settings: every verb exists, configuration precedence, the check command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from noiselab.cli.main import main
from noiselab.domain.errors import ConfigError
from noiselab.domain.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "payloads"


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for verb in (
        "up",
        "collect",
        "serve",
        "simulate",
        "compute",
        "import",
        "export",
        "report",
        "keys",
        "check",
    ):
        assert f"  {verb} " in out


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOISELAB_MQTT_URL", "NOISELAB_STORE_URL", "NOISELAB_CONFIG", "NOISELAB_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.embedded_broker and s.effective_mqtt_protocol == "3.1.1"
    assert s.effective_store_url == "sqlite:///noiselab-data/noise.db"
    assert (s.http_port, s.scheme, s.tz, s.simulate) == (8000, "dk", "Europe/Copenhagen", 0)


def test_flags_beat_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "noiselab.toml"
    conf.write_text('http_port = 9001\nscheme = "eu"\nmqtt_url = "mqtt://file:1883"\nsimulate = 2\n')
    monkeypatch.setenv("NOISELAB_HTTP_PORT", "9002")
    monkeypatch.setenv("NOISELAB_MQTT_URL", "mqtt://env:1883")
    s = load_settings(config_file=conf, mqtt_url="mqtt://flag:1883")
    assert s.mqtt_url == "mqtt://flag:1883"  # flag
    assert s.http_port == 9002  # environment
    assert (s.scheme, s.simulate) == ("eu", 2)  # file
    assert not s.embedded_broker and s.effective_mqtt_protocol == "5"


def test_config_file_via_environment_and_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text("NOISELAB_SIMULATE = 3\n")
    monkeypatch.setenv("NOISELAB_CONFIG", str(conf))
    assert load_settings().simulate == 3
    conf.write_text("simulate = [")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings()
    conf.write_text("no_such_setting = 1\n")
    with pytest.raises(ValueError, match="no_such_setting"):
        load_settings()
    monkeypatch.delenv("NOISELAB_CONFIG")
    monkeypatch.setenv("NOISELAB_HTTP_PORT", "eighty")
    with pytest.raises(ValueError, match="http_port"):
        load_settings()


def test_bad_flag_value_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["up", "--http-port", "notaport"])
    assert result.exit_code == 2 and "notaport" in result.output


def test_check_command_reports_without_storing(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["check", "chirpstack", str(FIXTURES / "chirpstack-v4-ws302.json")])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.output)
    assert report["would_store"] == 1 and report["readings"][0]["sensor_id"] == "24e124743c210001"
    bad = tmp_path / "bad.json"
    bad.write_text('{"sensor_id": "x", "ts": "2026-06-10T07:00:00", "laeq": 50, "LAeq_typo": 1}')
    result = CliRunner().invoke(main, ["check", "native", str(bad)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["refused"][0]["reason"] == "time_without_zone" and report["ignored_fields"] == ["LAeq_typo"]
    sc = CliRunner().invoke(
        main,
        [
            "check",
            "sensor-community",
            str(FIXTURES / "sensor-community-dnms.json"),
            "--header",
            "X-Sensor: esp8266-13597771",
        ],
    )
    assert sc.exit_code == 0 and json.loads(sc.output)["readings"][0]["sensor_id"] == "esp8266-13597771"


def test_check_command_bad_header_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        main, ["check", "native", str(FIXTURES / "native-single.json"), "--header", "no colon here"]
    )
    assert result.exit_code == 2 and "Name: value" in result.output
