"""Issue #13: the pipeline keeps the dead-letter store bounded (retention and per-vendor quota from the
settings), the oldest messages go first, and what it drops is counted. Real SQLite store and registry; the
clock deciding when to prune is ours (a fake we own)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

from noiselab.domain.errors import InvalidReading
from noiselab.domain.settings import Settings
from noiselab.ingest.decoders import Message
from noiselab.ingest.pipeline import DeadLetterBounds, Outcome, Pipeline
from noiselab.store.registry import SqliteRegistry
from noiselab.store.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dropped(cause: str) -> float:
    return REGISTRY.get_sample_value("noiselab_dead_letters_dropped_total", {"cause": cause}) or 0.0


def refused_message(vendor: str, k: int, size: int = 5000) -> Outcome:
    body = bytes([65 + k % 26]) * size
    message = Message(topic=f"noise/{vendor}/s-1/levels", headers={}, body=body, received_s=0.0)
    err = InvalidReading("bad_json", "body is not valid JSON")
    return Outcome(source="native", message=message, refused=[err], vendor=vendor)


def test_bounds_come_from_the_settings() -> None:
    s = Settings(dead_letter_retention_days=2, dead_letter_vendor_quota_bytes=123_456)
    assert DeadLetterBounds.from_settings(s) == DeadLetterBounds(retention_s=2 * 86400.0, quota_bytes=123_456)


def test_a_vendor_over_its_quota_loses_its_oldest_letters_and_the_drop_is_counted(tmp_path: Path) -> None:
    clock = Clock()
    registry = SqliteRegistry(tmp_path / "registry.db")
    pipeline = Pipeline(SqliteStore(tmp_path / "noise.db"), registry, clock=clock)
    pipeline.dead_letter_bounds = DeadLetterBounds(retention_s=86400.0, quota_bytes=20_000, every_s=10.0)
    before = dropped("quota")
    for k in range(10):  # 10 × ~5 kB from one vendor, one message per commit, 11 s apart
        pipeline.commit([refused_message("noisy", k)])
        clock.now += 11
    pipeline.commit([refused_message("calm", 0)])
    kept = registry.dead_letters(vendor="noisy", limit=100)
    assert 1 <= len(kept) <= 4 and registry.deadletters.usage()["noisy"] <= 20_000
    assert [d["raw"][:1] for d in kept] == [bytes([65 + k]) for k in range(10 - len(kept), 10)]  # newest kept
    assert dropped("quota") - before == 10 - len(kept)
    assert len(registry.dead_letters(vendor="calm")) == 1  # another vendor's letters are not touched


def test_retention_applies_even_without_new_refusals(tmp_path: Path) -> None:
    clock = Clock()
    registry = SqliteRegistry(tmp_path / "registry.db")
    pipeline = Pipeline(SqliteStore(tmp_path / "noise.db"), registry, clock=clock)
    pipeline.commit([refused_message("acme", 0)])  # default bounds: 30 days, kept
    pipeline.commit([refused_message("acme", 1)])
    assert len(registry.dead_letters()) == 2
    # a cut-off one second ahead of the wall clock: every letter is past it (no sleeping for real days)
    pipeline.dead_letter_bounds = DeadLetterBounds(retention_s=-1.0, quota_bytes=10**9, every_s=10.0)
    before = dropped("retention")
    clock.now += 599
    pipeline.commit([])  # nothing new and under 10 minutes since the last prune: not yet
    assert len(registry.dead_letters()) == 2
    clock.now += 2
    pipeline.commit([])  # 10 minutes since the last prune: retention applies without new refusals
    assert registry.dead_letters() == [] and registry.deadletters.usage() == {}
    assert dropped("retention") - before == 2
