"""Structured logs: one JSON object per line, and no secret ever reaches the output."""

from __future__ import annotations

import io
import json
import logging

from pydantic import SecretStr

from noiselab.cli.logs import Redactor, settings_secrets, setup
from noiselab.cli.wiring import collector_config
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import Mosquitto, wait_until

PASSWORD = "s3cr3t-Pa55word"
TOKEN = "influx-token-0123456789abcdef"


def test_redactor_masks_url_passwords_tokens_and_known_values():
    r = Redactor([PASSWORD])
    assert r(f"connect mqtt://noiselab:{PASSWORD}@broker:1883") == "connect mqtt://noiselab:***@broker:1883"
    assert r("mqtts://u:other-pass@h") == "mqtts://u:***@h"
    assert r("Authorization: Token abcdefgh12345678") == "Authorization: Token ***"
    assert r("token=abc123xyz&org=x") == "token=***&org=x"
    assert r(f"bare {PASSWORD} value") == "bare *** value"
    assert r("http://influxdb:8086/query") == "http://influxdb:8086/query"


def test_json_lines_with_fields_and_no_secrets(tmp_path, mosquitto: Mosquitto):  # type: ignore[no-untyped-def]
    url = mosquitto.url.replace("mqtt://", f"mqtt://noiselab:{PASSWORD}@")  # anonymous broker accepts it
    settings = Settings(mqtt_url=url, influx_token=SecretStr(TOKEN), data_dir=tmp_path)
    assert set(settings_secrets(settings)) == {PASSWORD, TOKEN}
    out = io.StringIO()
    handler = setup("INFO", secrets=settings_secrets(settings), stream=out)
    try:
        store, registry = SqliteStore(tmp_path / "n.db"), SqliteRegistry(tmp_path / "r.db")
        collector = Collector(collector_config(settings), store, registry)
        collector.start()
        wait_until(lambda: collector.connected, what="collector connected")
        log = logging.getLogger("noiselab.test")
        log.info("configured with %s", url, extra={"store": f"influxdb://x?token={TOKEN}", "n": 3})
        try:
            raise RuntimeError(f"cannot reach {url}")
        except RuntimeError:
            log.exception("failure")
        collector.stop()
        store.close()
        registry.close()
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert PASSWORD not in text and TOKEN not in text
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert any(e["logger"] == "noiselab.ingest.collector" and "connected" in e["msg"] for e in entries)
    mine = next(e for e in entries if e["logger"] == "noiselab.test" and e["level"] == "INFO")
    assert mine["n"] == 3 and mine["msg"].endswith("noiselab:***@127.0.0.1:" + str(mosquitto.port))
    failure = next(e for e in entries if e["msg"] == "failure")
    assert "RuntimeError" in failure["exc"] and "***" in failure["exc"]
