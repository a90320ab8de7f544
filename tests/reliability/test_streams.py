"""Issue #13: live streams are limited per client address as well as in total, so one client cannot lock
residents out of the live page. Over real HTTP (uvicorn) from two loopback addresses."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from noiselab.api.app import create_app
from noiselab.api.streams import Slot, StreamSlots
from noiselab.domain.settings import Settings
from noiselab.store.registry import Sensor, SqliteRegistry
from noiselab.store.sqlite import SqliteStore
from tests.services import free_port, wait_until


def test_slots_count_per_client_and_in_total() -> None:
    slots = StreamSlots(max_total=3, per_client=2)
    a1, a2 = slots.acquire("a"), slots.acquire("a")
    assert isinstance(a1, Slot) and isinstance(a2, Slot)
    assert slots.acquire("a") == "client"
    b1 = slots.acquire("b")
    assert isinstance(b1, Slot)
    assert slots.acquire("c") == "total"
    a1.release()
    a1.release()  # a second release gives nothing back twice
    assert slots.open_total == 2 and slots.by_client == {"a": 1, "b": 1}
    assert isinstance(slots.acquire("c"), Slot)
    b1.release()
    assert "b" not in slots.by_client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    store = SqliteStore(tmp_path / "noise.db")
    registry = SqliteRegistry(tmp_path / "registry.db")
    registry.upsert_sensor(Sensor("s-1", name="S", public=True, placed=True))
    settings = Settings(data_dir=tmp_path, live_streams_max=3, live_streams_per_client=2)
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store, registry),
            host="127.0.0.1",  # clients connect from the loopback aliases 127.0.0.1 and 127.0.0.2
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_until(lambda: srv.started, timeout_s=15, what="uvicorn to start")
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(15)
        store.close()
        registry.close()


def _open(port: int, source: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    conn.request("GET", "/v1/public/stream?lang=en", headers={"X-Forwarded-For": "10.9.9.9"})
    resp = conn.getresponse()
    if resp.status == 200:
        assert resp.readline() == b"retry: 2000\n"  # the stream is open
    return conn, resp


def test_one_client_cannot_take_every_stream(server: int) -> None:
    a = [_open(server, "127.0.0.1") for _ in range(2)]
    assert [r.status for _, r in a] == [200, 200]
    conn, third = _open(server, "127.0.0.1")
    body = json.loads(third.read())
    assert third.status == 429 and third.getheader("Retry-After") == "5"
    assert body["status"] == 429 and "per client" in body["detail"]
    conn.close()
    b_conn, b = _open(server, "127.0.0.2")  # another address still gets in
    assert b.status == 200
    conn, full = _open(server, "127.0.0.2")
    assert full.status == 503  # the total limit holds too
    conn.close()

    a[0][0].close()  # a client that leaves gives its slot back

    def reopened() -> bool:
        c, r = _open(server, "127.0.0.1")
        ok = r.status == 200
        c.close()
        return ok

    wait_until(reopened, timeout_s=15, what="the slot of a closed stream to be given back")
    for c, _ in a[1:]:
        c.close()
    b_conn.close()
