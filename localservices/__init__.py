"""Real services on free loopback ports, for the tests, the benchmarks and the fault suite alike: Mosquitto,
InfluxDB (:mod:`localservices.influx`), and the small helpers around them (free ports, bounded polling).

No pytest here, so that ``bench/`` and ``faults/`` run without it: a missing binary raises
:class:`ServiceMissing`, and ``tests/services.py`` turns that into a skip, or a failure in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class ServiceMissing(RuntimeError):
    """A service's binary is not installed."""


def stop_process(proc: subprocess.Popen | None, timeout_s: float = 20.0) -> None:  # type: ignore[type-arg]
    """SIGTERM a service and wait; SIGKILL it if it has not gone within ``timeout_s``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str, *candidates: str) -> str:
    for c in (name, *candidates):
        path = shutil.which(c) or (c if os.path.isabs(c) and os.access(c, os.X_OK) else None)
        if path:
            return path
    raise ServiceMissing(f"{name} is not installed (apt-get install it; .ci/run does)")


def wait_port(port: int, timeout_s: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout_s} s")


# Mosquitto's default max_queued_messages (1000) silently drops QoS 1 messages queued for a slow or
# absent persistent subscriber (SPEC §8); every config we start raises it.
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence {persistence}
persistence_location {dir}/
max_queued_messages 0
max_inflight_messages 0
max_packet_size 2000000
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
"""


@dataclass
class Mosquitto:
    binary: str
    dir: Path
    port: int
    extra_conf: str = ""
    persistence: bool = True
    proc: subprocess.Popen | None = None  # type: ignore[type-arg]

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        conf = self.dir / "mosquitto.conf"
        # as root, Mosquitto drops to the `mosquitto` user and then cannot write its persistence file in our
        # temporary directory: sessions would not survive a restart. Keep it as root (tests only).
        run_as = "user root\n" if os.geteuid() == 0 else ""
        conf.write_text(
            run_as
            + MOSQUITTO_CONF.format(
                port=self.port, dir=self.dir, persistence="true" if self.persistence else "false"
            )
            + self.extra_conf
        )
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            log = (self.dir / "mosquitto.log").read_text() if (self.dir / "mosquitto.log").exists() else ""
            raise RuntimeError(f"mosquitto did not start: {log}") from None
        return self

    def stop(self) -> None:
        stop_process(self.proc, timeout_s=10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_mosquitto(tmp: Path, extra_conf: str = "") -> Mosquitto:
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
    tmp.mkdir(parents=True, exist_ok=True)
    return Mosquitto(binary, tmp, free_port(), extra_conf).start()


def poll(predicate, timeout_s: float, what: str, interval_s: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until truthy (bounded); returns its value or raises TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


def publish(
    url: str, items: list[tuple[str, bytes]], *, protocol: str = "5", client_id: str = "test-pub"
) -> None:
    """Publish (topic, body) pairs with QoS 1 and return once the broker has acknowledged every one."""
    from noiselab.ingest.collector import CollectorConfig, MqttTarget, make_client

    client = make_client(CollectorConfig(url=url, protocol=protocol), client_id=client_id, manual_ack=False)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(100)
    target = MqttTarget.parse(url)
    client.connect(target.host, target.port)
    client.loop_start()
    infos = [client.publish(topic, body, qos=1) for topic, body in items]
    for info in infos:
        info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()


class SwitchableStore:
    """A real store that can be made unavailable on demand: ``down.set()`` makes every write raise
    StoreUnavailable until ``down.clear()``. A wrapper we own; the store inside and the broker stay real."""

    def __init__(self, inner: object) -> None:
        import threading

        self.inner = inner
        self.down = threading.Event()
        self.failures = 0

    def write(self, readings):  # type: ignore[no-untyped-def]
        from noiselab.domain.errors import StoreUnavailable

        if self.down.is_set():
            self.failures += 1
            raise StoreUnavailable("the store is away (switched off by the test)")
        return self.inner.write(readings)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)
