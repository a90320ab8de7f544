"""What a decoder gets (a :class:`Message`), what it gives back (:class:`Decoded`), and the per-sensor
rules it needs for sources that send no measurement time (:class:`SensorRules`).

Kept apart from ``__init__`` so the format modules can import these without a cycle; everything here is
re-exported from :mod:`ingest.decoders`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading

# Averaging interval assumed when neither the payload nor the registry gives one, per format.
# native: SPEC §3 ("else 1"). LoRaWAN sound sensors are commonly configured to report every minute;
# sensor.community firmware pushes about every 145 s; FIWARE/SensorThings usually give an explicit
# interval, 60 s is only used for an instant time.
DEFAULT_INTERVALS_S: Mapping[str, float] = MappingProxyType(
    {
        "native": 1.0,
        "chirpstack": 60.0,
        "tts": 60.0,
        "sensor-community": 145.0,
        "ngsi": 60.0,
        "sensorthings": 60.0,
    }
)

ANCHORS = ("end", "start")


@dataclass(frozen=True)
class Message:
    """One received message, as the shell (MQTT collector or HTTP route) saw it."""

    topic: str | None  # MQTT topic, None for HTTP
    headers: Mapping[str, str]  # HTTP headers with lower-case keys, {} for MQTT
    body: bytes
    received_s: float  # receive time, epoch seconds; also the "now" for the in-the-future check


@dataclass
class Decoded:
    """Readings decoded from one message, and the items of it that were refused (each with ``.index``)."""

    readings: list[Reading]
    refused: list[InvalidReading]


@dataclass(frozen=True)
class SensorRules:
    """Per-sensor knowledge a decoder needs but the payload lacks.

    - ``sensor_ids``: source id (ChirpStack devEUI in lower case, TTS device id, ``X-Sensor`` value,
      NGSI device id, native id) -> our sensor id. Unmapped ids are used as they are.
    - ``datastreams``: SensorThings datastream id (as a string) -> sensor id; else ``datastream-{id}``.
    - ``intervals_s``: sensor id (after mapping) -> registered averaging interval in seconds.
    - ``anchors``: sensor id -> ``"end"`` (default) or ``"start"``: what a single source time means
      when the payload does not say (LoRaWAN network-server time, sensor.community receive time,
      SensorThings instant ``phenomenonTime``, NGSI ``dateObserved``). With ``"end"`` the reading
      starts one interval before that time.
    - ``default_intervals_s``: format name -> interval when the sensor has none registered.
    """

    sensor_ids: Mapping[str, str] = field(default_factory=dict)
    datastreams: Mapping[str, str] = field(default_factory=dict)
    intervals_s: Mapping[str, float] = field(default_factory=dict)
    anchors: Mapping[str, str] = field(default_factory=dict)
    default_intervals_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS_S))

    def sensor_for(self, source_id: str) -> str:
        """Our sensor id for a source id (unchanged when not mapped)."""
        return self.sensor_ids.get(source_id, source_id)

    def interval_for(self, sensor_id: str, fmt: str) -> float:
        """The sensor's registered interval, else the format's default, else 60 s."""
        registered = self.intervals_s.get(sensor_id)
        if registered is not None:
            return registered
        return self.default_intervals_s.get(fmt, DEFAULT_INTERVALS_S.get(fmt, 60.0))

    def start_for(self, sensor_id: str, time_s: float, interval_s: float) -> float:
        """Start of the interval that a single source time belongs to (see ``anchors``)."""
        anchor = self.anchors.get(sensor_id, "end")
        if anchor not in ANCHORS:
            raise InvalidReading("bad_rules", f"time anchor for {sensor_id!r} must be 'end' or 'start'")
        return time_s if anchor == "start" else time_s - interval_s
