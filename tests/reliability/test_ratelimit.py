"""Rate limits on the public endpoints and on ingest: 429 problem+json with Retry-After after the burst."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noiselab.api.auth import Principal
from noiselab.api.ratelimit import TokenBuckets, classify
from tests.reliability.conftest import Ingest, make_ingest


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_refuses_then_refills() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(2.0, 5, clock=clock)
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == pytest.approx(0.5)  # one token comes back in 1/rate s
    assert buckets.take("b") == 0.0  # clients are independent
    clock.now += 1.0
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") > 0


def test_bucket_table_is_bounded() -> None:
    buckets = TokenBuckets(1.0, 1, max_clients=100, clock=FakeClock())
    for i in range(10_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}")
    assert len(buckets) == 100


def test_classification() -> None:
    def scope(method: str, path: str) -> dict:  # type: ignore[type-arg]
        return {"method": method, "path": path, "headers": [], "client": ("10.1.2.3", 5000)}

    engineer = Principal("engineer", key_id=7)
    vendor = Principal("vendor", "acme", key_id=9)
    assert classify(scope("GET", "/health")) is None
    assert classify(scope("GET", "/v1/sensors")) == ("public", "ip:10.1.2.3")
    assert classify(scope("GET", "/v1/sensors"), engineer) is None  # a valid key reads unlimited
    assert classify(scope("POST", "/v1/readings"), vendor) == ("ingest", "key:9")  # per key, never the key
    assert classify(scope("POST", "/v1/ingest/ngsi")) == ("ingest", "ip:10.1.2.3")


def test_made_up_keys_take_from_the_public_bucket(limited: Ingest) -> None:
    """A key that is not valid gets 401, and once the address's public burst is spent, 429: inventing keys
    is no way around the public limit."""
    junk = [{"X-API-Key": f"nlk_made_up_{i}"} for i in range(7)]
    codes = [limited.client.get("/v1/sensors", headers=h).status_code for h in junk]
    assert codes == [401] * 5 + [429] * 2
    assert limited.client.get("/v1/sensors").status_code == 429  # the same bucket as keyless requests


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Ingest]:
    yield from make_ingest(
        tmp_path,
        rate_limit_public_per_s=0.01,
        rate_limit_public_burst=5,
        rate_limit_ingest_per_s=0.01,
        rate_limit_ingest_burst=3,
    )


def test_public_endpoint_gets_429_after_the_burst(limited: Ingest) -> None:
    codes = [limited.client.get("/v1/sensors").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    r = limited.client.get("/v1/targets")
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 429 and r.json()["reason"] == "rate_limited" and r.json()["detail"]
    # probes and keyed engineers are not limited
    assert limited.client.get("/health").status_code == 200
    eng = {"X-API-Key": limited.keys["engineer"]}
    assert limited.client.get("/v1/sensors", headers=eng).status_code == 200


def test_ingest_is_limited_per_key(limited: Ingest) -> None:
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))

    def post(vendor: str, i: int) -> int:
        body = {"sensor_id": f"{vendor}-1", "ts": ts, "laeq": 50.0 + i}
        return limited.client.post(
            "/v1/readings", json=body, headers={"X-API-Key": limited.keys[vendor]}
        ).status_code

    assert [post("acme", i) for i in range(5)] == [200, 200, 200, 429, 429]
    assert post("other", 0) == 200  # another vendor's key has its own bucket
    assert len(limited.store.read("acme-1", 0, 2**62)) == 1  # the same ts: 1 stored, 2 duplicates


def test_rate_limit_can_be_switched_off(tmp_path: Path) -> None:
    for api in make_ingest(tmp_path, rate_limit_enabled=False, rate_limit_public_burst=1):
        assert {api.client.get("/v1/sensors").status_code for _ in range(20)} == {200}
