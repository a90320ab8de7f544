"""The residents' page shows a public trial as one plain line with its uncertainty, in Danish and English,
served by uvicorn to Debian's chromium (the ``chromium`` fixture of this folder)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

from noiselab.api.app import create_app
from noiselab.domain.readings import Reading
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.processing.trialdata import synthetic
from tests.services import free_port, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    store, reg = SqliteStore(tmp_path / "noise.db"), SqliteRegistry(settings.registry_path)
    s = synthetic(5, il_db=4, shift_db=3, start=date(2026, 9, 1), days_before=21, gap_days=5, days_after=21,
                  tz="Europe/Copenhagen")  # fmt: skip
    store.write([
        Reading(sid, int(t) * 1000, 3600.0, float(v))
        for sid, row in (("vb-01", s.treated_db[0]), ("vb-ref", s.reference_db[0]))
        for t, v in zip(s.hour_s, row, strict=True)
        if np.isfinite(v)
    ])  # fmt: skip
    reg.upsert_sensor(
        Sensor("vb-01", name="Vallensbæk Strandvej", lat=55.62, lon=12.38, public=True, placed=True)
    )
    reg.upsert_sensor(Sensor("vb-ref"))
    iso = [date.fromordinal(x).isoformat() for x in (*s.before, *s.after)]
    reg.trials.create({
        "trial_id": "barrier-a", "kind": "barrier", "method": "baci",
        "treated": ["vb-01"], "reference": ["vb-ref"],
        "before": {"start": iso[0], "end": iso[1]}, "after": {"start": iso[2], "end": iso[3]}, "public": True,
    })  # fmt: skip
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store, reg), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=15)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)
    store.close()
    reg.close()


def test_public_trial_line_in_both_languages(site: str, chromium: Any) -> None:
    page = chromium.new_page()
    page.goto(site + "/")  # Danish by default
    da = page.locator("#trial-lines li", has_text="Støjskærmen har gjort det")
    da.wait_for(timeout=15_000)
    assert page.locator("#trials-heading").inner_text() == "Virker støjtiltagene?"
    text = da.inner_text()
    assert "dB mere stille (" in text and "–" in text and "," in text  # Danish decimal comma, an interval
    page.click("#lang-switch")
    en = page.locator("#trial-lines li", has_text="The noise barrier has made it")
    en.wait_for(timeout=15_000)
    assert "dB quieter (" in en.inner_text()
    page.close()
