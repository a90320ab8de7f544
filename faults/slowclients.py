"""Slow clients must not starve others: the real server (``noiselab serve``, uvicorn) in a subprocess on
a free loopback port, a number of sockets that send their headers or their request body one byte at a
time, and a normal client whose latency is measured meanwhile.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from localservices import free_port, stop_process, wait_port
from noiselab.store.registry import SqliteRegistry


class Server:
    """``noiselab serve`` on a free loopback port with its own data directory."""

    def __init__(self, data: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.data = data
        env = {
            **os.environ,
            "NOISELAB_DATA_DIR": str(data),
            "NOISELAB_HTTP_HOST": "127.0.0.1",
            "NOISELAB_HTTP_PORT": str(self.port),
            "NOISELAB_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.log = open(data / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "noiselab.cli", "serve"], env=env, stdout=self.log, stderr=self.log
        )
        wait_port(self.port, 60)

    def get(self, path: str, timeout_s: float = 10.0) -> tuple[int, float]:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        try:
            conn.request("GET", path)
            status = conn.getresponse().status
        finally:
            conn.close()
        return status, time.perf_counter() - t0

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def _drip(
    sock: socket.socket, payload: bytes, every_s: float, stop: threading.Event, sent: list[int]
) -> None:
    """Send ``payload`` one byte every ``every_s`` until stopped or the server closes the socket."""
    for i in range(len(payload)):
        if stop.wait(every_s):
            return
        try:
            sock.sendall(payload[i : i + 1])
        except OSError:
            return
        sent[0] += 1


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def slow_clients(
    *, slow_headers: int = 20, slow_bodies: int = 20, duration_s: float = 30.0, probes: int = 200
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="noiselab-slow-") as tmp:
        data = Path(tmp)
        data.mkdir(exist_ok=True)
        key = SqliteRegistry(data / "registry.db").keys.create("vendor", vendor="acme")[1]
        server = Server(data)
        baseline = [server.get("/v1/sensors")[1] for _ in range(50)]
        stop = threading.Event()
        socks, threads, sent = [], [], [0]
        body = b'{"sensor_id": "s-1", "ts": 1780000000, "laeq": 55.0}' + b" " * 10_000
        head = (
            f"POST /v1/readings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            for i in range(slow_headers + slow_bodies):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                if i >= slow_headers:  # headers at once, then the body byte by byte
                    s.sendall(head)
                    payload, what = body, "body"
                else:  # the request line and headers byte by byte (slowloris)
                    payload, what = head + body, "headers"
                t = threading.Thread(target=_drip, args=(s, payload, 0.5, stop, sent), name=what, daemon=True)
                t.start()
                socks.append(s)
                threads.append(t)
            t0 = time.monotonic()
            during: list[float] = []
            statuses: list[int] = []
            while time.monotonic() - t0 < duration_s and len(during) < probes * 10:
                status, latency = server.get("/v1/sensors" if len(during) % 2 else "/health")
                statuses.append(status)
                during.append(latency)
                time.sleep(max(0.0, duration_s / probes - latency))
            open_after = sum(_still_open(s) for s in socks)
        finally:
            stop.set()
            for s in socks:
                s.close()
            server.stop()
    during.sort()
    return {
        "slow_header_sockets": slow_headers,
        "slow_body_sockets": slow_bodies,
        "duration_s": duration_s,
        "normal_requests": len(during),
        "normal_non_2xx": sum(1 for s in statuses if s >= 300),
        "baseline_p50_ms": round(statistics.median(baseline) * 1000, 1),
        "during_p50_ms": round(statistics.median(during) * 1000, 1),
        "during_p99_ms": round(during[int(0.99 * (len(during) - 1))] * 1000, 1),
        "during_max_ms": round(during[-1] * 1000, 1),
        "slow_sockets_still_open_at_end": open_after,
        "bytes_dripped": sent[0],
        "ok": len(during) > 0
        and during[int(0.99 * (len(during) - 1))] < 1.0
        and not any(s >= 500 for s in statuses),
    }
