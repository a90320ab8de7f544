"""What a decoder gets (a :class:`Message`), what it gives back (:class:`Decoded`), the per-sensor
rules it needs for sources that send no measurement time (:class:`SensorRules`), and the declaration of
a format (:class:`Format`) that each format module ends with.

Kept apart from ``__init__`` so the format modules can import these without a cycle; everything here is
re-exported from :mod:`noiselab.ingest.decoders`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading
from noiselab.ingest.decoders.body import check_items, json_type

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
    battery_pct: dict[str, float] = field(default_factory=dict)  # sensor id -> reported battery level
    # LoRaWAN: the network server's application the uplink came from (the topic's, else the payload's); an
    # admin may map it to a vendor for ownership (store/registry/lorawan.py). None for other formats.
    application: str | None = None


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
    - ``default_intervals_s``: format name -> interval when the sensor has none registered (overrides
      the format's declared ``default_interval_s``).
    """

    sensor_ids: Mapping[str, str] = field(default_factory=dict)
    datastreams: Mapping[str, str] = field(default_factory=dict)
    intervals_s: Mapping[str, float] = field(default_factory=dict)
    anchors: Mapping[str, str] = field(default_factory=dict)
    default_intervals_s: Mapping[str, float] = field(default_factory=dict)

    def sensor_for(self, source_id: str) -> str:
        """Our sensor id for a source id (unchanged when not mapped)."""
        return self.sensor_ids.get(source_id, source_id)

    def interval_for(self, sensor_id: str, fmt: Format) -> float:
        """The sensor's registered interval, else the operator's default for the format, else the
        format's declared default."""
        registered = self.intervals_s.get(sensor_id)
        if registered is not None:
            return registered
        return self.default_intervals_s.get(fmt.name, fmt.default_interval_s)

    def start_for(self, sensor_id: str, time_s: float, interval_s: float) -> float:
        """Start of the interval that a single source time belongs to (see ``anchors``)."""
        anchor = self.anchors.get(sensor_id, "end")
        if anchor not in ANCHORS:
            raise InvalidReading("bad_rules", f"time anchor for {sensor_id!r} must be 'end' or 'start'")
        return time_s if anchor == "start" else time_s - interval_s


Decoder = Callable[[Message, SensorRules], Decoded]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _shape_re(shape: str) -> re.Pattern[str]:
    """``noise/{vendor}/{sensor_id}/levels`` -> a regex where each ``{name}`` is one non-empty level."""
    parts, pos = [], 0
    for m in _PLACEHOLDER.finditer(shape):
        parts.append(re.escape(shape[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    parts.append(re.escape(shape[pos:]))
    return re.compile("".join(parts))


@dataclass(frozen=True)
class Format:
    """One accepted format, declared once at the end of its module; everything else is derived from these
    declarations (the format names, the collector's subscriptions, topic routing, default intervals).

    - ``topics``: the exact MQTT topic shapes readings are published on (``{name}`` = one topic level);
      empty for HTTP-only formats.
    - ``subscriptions``: the MQTT filters the collector subscribes to for this format. They may be
      broader than ``topics``, so that a message on a wrong shape is refused as ``bad_topic`` (counted,
      dead-lettered) instead of never being received.
    - ``default_interval_s``: the averaging interval when neither the payload nor the registry gives one.
    """

    name: str
    title: str
    decode: Decoder
    default_interval_s: float
    topics: tuple[str, ...] = ()
    subscriptions: tuple[str, ...] = ()
    _shapes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shapes", tuple(_shape_re(t) for t in self.topics))

    @property
    def mqtt(self) -> bool:
        return bool(self.subscriptions)

    def topic_fields(self, topic: str) -> dict[str, str] | None:
        """The placeholders of the first shape ``topic`` has exactly (``{}`` for a shape without any),
        or None when it has none of them."""
        for shape in self._shapes:
            m = shape.fullmatch(topic)
            if m is not None:
                return m.groupdict()
        return None

    def check_topic(self, topic: str | None) -> None:
        """Refuse (``bad_topic``) a topic that is not one of the shapes; HTTP (None) is not checked."""
        if topic is None or not self.topics or self.topic_fields(topic) is not None:
            return
        shapes = " or ".join(self.topics)
        raise InvalidReading(
            "bad_topic", f"{self.name} readings go to {shapes} (after any bridge prefix), got {topic[:200]!r}"
        )


def decode_items(items: Sequence[object], one: Callable[[dict[str, object]], Reading], what: str) -> Decoded:
    """The per-item refusal loop, written once: each item of an array decodes to one reading or to one
    refusal with ``index`` = its position; the rest of the array is kept."""
    check_items(len(items))
    out = Decoded([], [])
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise InvalidReading("bad_type", f"each {what} must be a JSON object, got {json_type(item)}")
            out.readings.append(one(item))
        except InvalidReading as err:
            err.index = i
            out.refused.append(err)
    return out
