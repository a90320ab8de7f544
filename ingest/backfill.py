"""History for the demo: before going live, the simulated sensors publish the last days at full speed,
newest hour first, through MQTT and the collector like any other reading (no shortcut into the store).

So a newcomer's first page view already shows last night, the 30-day chart, events and compliance, and the
page fills in while the older days land. Idempotent across restarts: the spans already published are kept
in a small JSON file (``{"spans": [[from_s, to_s], ...]}``) in the data directory, and a restart publishes
only what is missing; any overlap is absorbed by the stores' first-write-wins (sensor, start).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from noiselab.ingest.simulator import SimSensor, native_batch, simulate_levels

log = logging.getLogger(__name__)
CHUNK_S = 3600


def missing_spans(now_s: int, days: float, done: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans ``[start, end)`` still to publish, newest first: up to ``now_s``, back ``days`` days,
    minus the spans already ``done``."""
    start = now_s - int(days * 86400)
    missing: list[tuple[int, int]] = []
    cursor = now_s
    for a, b in sorted(done, key=lambda span: -span[1]):
        if b < cursor and max(b, start) < cursor:
            missing.append((max(b, start), cursor))
        cursor = min(cursor, a)
        if cursor <= start:
            break
    if cursor > start:
        missing.append((start, cursor))
    return missing


def merge(done: Sequence[tuple[int, int]], new: tuple[int, int]) -> list[tuple[int, int]]:
    """The union of the published spans and ``new``, as sorted disjoint spans."""
    out: list[tuple[int, int]] = []
    for a, b in sorted([*done, new]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def chunks(spans: Sequence[tuple[int, int]], size_s: int = CHUNK_S) -> Iterator[tuple[int, int]]:
    """Each span cut into chunks of ``size_s`` seconds, newest chunk first."""
    for start, end in spans:
        t = end
        while t > start:
            yield max(start, t - size_s), t
            t -= size_s


class Backfill:
    """Publishes simulated history for ``sensors`` (native 1-s batches, QoS 1) and records its progress."""

    def __init__(
        self,
        client: object,
        sensors: Sequence[SimSensor],
        *,
        vendor: str,
        days: float,
        state_file: Path,
        now_s: int,
        tz: str = "Europe/Copenhagen",
        on_chunk: Callable[[int, int], None] | None = None,
        acked: Callable[[], int] | None = None,
        ahead: int = 2,
    ) -> None:
        """``acked``: how many messages the collector has written and acknowledged so far; when given, the
        backfill keeps at most ``ahead`` chunks beyond it, so that a slow writer never leaves a broker
        waiting long for acknowledgements (the embedded broker gives up on them after a while)."""
        self.client = client
        self.sensors = list(sensors)
        self.vendor = vendor
        self.days = days
        self.state_file = state_file
        self.now_s = now_s
        self.tz = tz
        self.on_chunk = on_chunk
        self.acked = acked
        self.ahead = ahead
        self.messages = 0
        self.published = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _load(self) -> list[tuple[int, int]]:
        try:
            data = json.loads(self.state_file.read_text())
            return [(int(a), int(b)) for a, b in data["spans"]]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def _save(self, spans: list[tuple[int, int]]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"spans": spans}))
        tmp.replace(self.state_file)

    def run(self) -> None:
        done = self._load()
        todo = list(chunks(missing_spans(self.now_s, self.days, done)))
        if not todo:
            log.info("history already published; going live")
            self.done.set()
            return
        began = time.monotonic()
        baseline = self.acked() if self.acked else 0
        log.info(
            "publishing %g days of history for %d simulated sensors first (newest first, %d hours)",
            self.days,
            len(self.sensors),
            len(todo),
        )
        for start, end in todo:
            self._wait_for_collector(baseline)
            if self._stop.is_set():
                break
            self._publish(start, end)
            done = merge(done, (start, end))
            self._save(done)
            if self.on_chunk:
                self.on_chunk(start, end)
        log.info(
            "history published: %d readings in %.0f s; live from now on",
            self.published,
            time.monotonic() - began,
        )
        self.done.set()

    def _wait_for_collector(self, baseline: int) -> None:
        if self.acked is None:
            return
        allowed = self.messages - self.ahead * len(self.sensors)
        while self.acked() - baseline < allowed and not self._stop.is_set():
            self._stop.wait(0.05)

    def _publish(self, start: int, end: int) -> None:
        infos = []
        for sensor in self.sensors:
            rng = np.random.default_rng([sensor.seed, start])  # the same values whenever it is redone
            levels = simulate_levels(sensor, start, end - start, tz=self.tz, rng=rng)
            topic = f"noise/{self.vendor}/{sensor.sensor_id}/levels"
            infos.append(self.client.publish(topic, native_batch(start, levels), qos=1))  # type: ignore[attr-defined]
            self.published += end - start
            self.messages += 1
        for info in infos:  # bounded memory: one chunk in flight at a time
            while not self._stop.is_set():
                try:
                    info.wait_for_publish(1.0)
                except RuntimeError:  # not connected yet: paho queues it and retries
                    self._stop.wait(0.2)
                    continue
                if info.is_published():
                    break
        log.debug("history %d..%d published", start, end)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="backfill", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
