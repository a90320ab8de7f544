"""Simulated noise sensors: realistic 1-s road-traffic levels published over MQTT.

The level model (not acoustics we report, only a plausible input): a base LAeq that follows the daily
traffic curve of a motorway-side dwelling (quiet small hours, morning and afternoon rush), 1-s
fluctuations, and random loud events (motorcycles, lorries braking) energy-added on top. LAFmax and LCpeak
are drawn above LAeq the way a sound level meter reports them. ``speed`` > 1 replays time faster
(backfill); each message then carries a batch of consecutive seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from noiselab.processing.decibel import energy_mean

log = logging.getLogger(__name__)

# hourly base LAeq (dB) by local hour, 0..23, for a dwelling ~100 m from a motorway
HOURLY_BASE_DB = np.array(
    [50, 48, 47, 47, 49, 54, 60, 64, 65, 63, 62, 62, 62, 62, 63, 64, 65, 64, 62, 60, 58, 57, 55, 52],
    dtype=np.float64,
)
EVENTS_PER_HOUR = np.where((HOURLY_BASE_DB > 55), 8.0, 2.0)


@dataclass(frozen=True)
class SimSensor:
    sensor_id: str
    name: str
    lat: float
    lon: float
    offset_db: float  # distance to the road, barrier, ...
    seed: int


PLACES = [
    ("Vallensbæk Strandvej", 55.6238, 12.3862, 0.0),
    ("Ishøj, Køge Bugt Motorvejen", 55.6139, 12.3575, 2.0),
    ("Albertslund, Roskildevej", 55.6717, 12.3604, 1.0),
    ("Brøndby Strand", 55.6268, 12.4213, -3.0),
    ("Glostrup, Motorring 3", 55.6640, 12.4040, 3.0),
    ("Hvidovre, Holbækmotorvejen", 55.6540, 12.4560, -1.0),
]


def sim_sensors(count: int, *, prefix: str = "sim") -> list[SimSensor]:
    sensors = []
    for i in range(count):
        name, lat, lon, off = PLACES[i % len(PLACES)]
        ring = i // len(PLACES)
        sensors.append(
            SimSensor(
                f"{prefix}-{i + 1:03d}",
                name if not ring else f"{name} #{ring + 1}",
                lat + 0.004 * ring,
                lon + 0.006 * ring,
                off - 2.0 * ring,
                seed=1000 + i,
            )
        )
    return sensors


def simulate_levels(
    sensor: SimSensor, start_s: int, n: int, *, tz: str = "Europe/Copenhagen", rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``n`` consecutive 1-s readings from ``start_s``: laeq, lafmax, lcpeak (dB)."""
    t = start_s + np.arange(n)
    zone = ZoneInfo(tz)
    offset = datetime.fromtimestamp(start_s, UTC).astimezone(zone).utcoffset()
    local_hour = ((t + int(offset.total_seconds() if offset else 0)) // 3600) % 24
    base = HOURLY_BASE_DB[local_hour] + sensor.offset_db + rng.normal(0.0, 1.8, n)
    energy = 10 ** (base / 10)
    # loud events: Poisson starts, 3–12 s long, 10–22 dB above the base at their peak
    starts = np.flatnonzero(rng.random(n) < EVENTS_PER_HOUR[local_hour] / 3600)
    for s in starts:
        length = int(rng.integers(3, 13))
        rise = rng.uniform(10, 22)
        shape = rise * np.sin(np.linspace(0.2, np.pi - 0.2, length))
        stop = min(n, int(s) + length)
        energy[s:stop] += 10 ** ((base[s:stop] + shape[: stop - s]) / 10)
    laeq = np.round(10 * np.log10(energy), 1)
    lafmax = np.round(laeq + rng.uniform(1.0, 4.5, n), 1)
    lcpeak = np.round(lafmax + rng.uniform(12.0, 20.0, n), 1)
    return {
        "laeq": np.clip(laeq, 20, 140),
        "lafmax": np.clip(lafmax, 20, 140),
        "lcpeak": np.clip(lcpeak, 20, 144),
    }


def native_batch(start_s: int, levels: dict[str, np.ndarray]) -> bytes:
    body = {"start": datetime.fromtimestamp(start_s, UTC).isoformat().replace("+00:00", "Z"), "interval_s": 1}
    body.update({k: v.tolist() for k, v in levels.items()})
    return json.dumps(body).encode()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def envelope(
    fmt: str, sensor: SimSensor, end_s: int, interval_s: int, levels: dict[str, np.ndarray]
) -> tuple[str, bytes]:
    """One LoRaWAN/SensorThings message carrying the energy mean over ``interval_s`` seconds."""
    laeq = round(float(energy_mean(levels["laeq"])), 1)
    lafmax = round(float(levels["lafmax"].max()), 1)
    decoded = {"battery": 98, "LAF": float(levels["laeq"][-1]), "LAeq": laeq, "LAFmax": lafmax}
    dev = f"a84041{sensor.seed:010x}"  # a devEUI-shaped hex id per simulated device
    body: dict[str, Any]
    if fmt == "chirpstack":
        topic = f"application/{uuid.UUID(int=sensor.seed)}/device/{dev}/event/up"
        body = {
            "deduplicationId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sensor.sensor_id}/{end_s}")),
            "time": _iso(end_s),
            "deviceInfo": {"devEui": dev, "deviceName": sensor.name},
            "object": decoded,
        }
    elif fmt == "tts":
        device_id = f"{sensor.sensor_id}-tts"  # its own device: one sensor id per source
        topic = f"v3/noiselab-sim@ttn/devices/{device_id}/up"
        body = {
            "end_device_ids": {
                "device_id": device_id,
                "application_ids": {"application_id": "noiselab-sim"},
            },
            "correlation_ids": [f"as:up:{device_id}-{end_s}"],
            "received_at": _iso(end_s),
            "uplink_message": {"decoded_payload": decoded, "received_at": _iso(end_s)},
        }
    elif fmt == "sensorthings":
        topic = f"v1.1/Datastreams({sensor.seed})/Observations"
        body = {
            "phenomenonTime": f"{_iso(end_s - interval_s)}/{_iso(end_s)}",
            "resultTime": _iso(end_s),
            "result": laeq,
        }
    else:
        raise ValueError(f"unknown simulator format {fmt!r}")
    return topic, json.dumps(body).encode()


class Simulator:
    """Publishes for each sensor: native 1-s batches, and/or 60-s LoRaWAN/SensorThings messages."""

    def __init__(
        self,
        client: object,
        sensors: Sequence[SimSensor],
        *,
        vendor: str = "simlab",
        speed: float = 1.0,
        start_s: float | None = None,
        duration_s: float | None = None,
        formats: Sequence[str] = ("native",),
        tz: str = "Europe/Copenhagen",
        qos: int = 1,
    ) -> None:
        self.client = client
        self.sensors = list(sensors)
        self.vendor = vendor
        self.speed = max(speed, 0.001)
        self.formats = list(formats)
        self.tz = tz
        self.qos = qos
        self.duration_s = duration_s
        self._sim_t = int(start_s if start_s is not None else time.time())
        self._t0 = self._sim_t
        self._rngs = {s.sensor_id: np.random.default_rng(s.seed) for s in self.sensors}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.published = 0
        self._unconfirmed: list = []  # type: ignore[type-arg]

    def step(self, seconds: int) -> None:
        """Publish the next ``seconds`` simulated seconds for every sensor."""
        for sensor in self.sensors:
            levels = simulate_levels(
                sensor, self._sim_t, seconds, tz=self.tz, rng=self._rngs[sensor.sensor_id]
            )
            if "native" in self.formats:
                self._track(
                    self.client.publish(  # type: ignore[attr-defined]
                        f"noise/{self.vendor}/{sensor.sensor_id}/levels",
                        native_batch(self._sim_t, levels),
                        qos=self.qos,
                    )
                )
                self.published += seconds
            for fmt in (f for f in self.formats if f != "native"):
                # a LoRaWAN sensor reports one 60-s LAeq per uplink at each full minute
                for k in range(seconds):
                    end_s = self._sim_t + k + 1
                    if end_s % 60 == 0 and k + 1 >= 60:
                        part = {key: v[k + 1 - 60 : k + 1] for key, v in levels.items()}
                        topic, body = envelope(fmt, sensor, end_s, 60, part)
                        self._track(self.client.publish(topic, body, qos=self.qos))  # type: ignore[attr-defined]
        self._sim_t += seconds

    def _track(self, info: object) -> None:
        self._unconfirmed = [i for i in self._unconfirmed if not i.is_published()]
        self._unconfirmed.append(info)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until the broker has acknowledged every QoS 1 publish; False on timeout."""
        deadline = time.monotonic() + timeout_s
        for info in self._unconfirmed:
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except RuntimeError:
                return False
        return all(i.is_published() for i in self._unconfirmed)

    def run(self) -> None:
        step = max(1, round(self.speed)) if self.speed >= 1 else 1
        if any(f != "native" for f in self.formats):
            step = max(step, 60)  # whole minutes for the 60-s formats
        period = step / self.speed
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self.duration_s is not None and self._sim_t - self._t0 >= self.duration_s:
                break
            ahead = self._sim_t - time.time()
            if ahead > 0:  # a backfill that caught up with the clock continues in real time
                self._stop.wait(ahead)
                next_at = time.monotonic()
            remaining = None if self.duration_s is None else int(self.duration_s - (self._sim_t - self._t0))
            self.step(step if remaining is None else min(step, remaining))
            next_at += period
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
