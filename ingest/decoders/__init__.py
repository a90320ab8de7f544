"""Payload decoders: pure functions from a received message to readings, one module per format.

    decode(fmt, message, rules=...) -> Decoded(readings, refused)

- raises :class:`~noiselab.domain.errors.UnknownFormat` for a format name not in :data:`FORMATS`;
- raises :class:`~noiselab.domain.errors.InvalidReading` when the message cannot be read at all (size,
  encoding, JSON, nesting, shape, topic) or when a one-reading message is refused;
- otherwise returns the readings and, for messages holding several readings, one
  ``InvalidReading`` per refused item with ``.index`` set to its position.

No I/O, clock or settings here: the receive time is in the message and per-sensor knowledge in
:class:`SensorRules`. Adding a vendor is adding a module with ``decode(message, rules)`` and a line in
``_DECODERS``. The contract for vendors is docs/vendors.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from noiselab.domain.errors import UnknownFormat
from noiselab.ingest.decoders import chirpstack, native, ngsi, sensor_community, sensorthings, tts
from noiselab.ingest.decoders.body import MAX_BODY_BYTES, MAX_DEPTH, MAX_ITEMS
from noiselab.ingest.decoders.message import DEFAULT_INTERVALS_S, Decoded, Message, SensorRules

__all__ = [
    "DEFAULT_INTERVALS_S",
    "FORMATS",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "REASONS",
    "UNKNOWN_FORMAT",
    "Decoded",
    "Decoder",
    "Message",
    "SensorRules",
    "decode",
    "format_for_topic",
]

Decoder = Callable[[Message, SensorRules], Decoded]

_DECODERS: Mapping[str, Decoder] = MappingProxyType(
    {
        "native": native.decode,
        "chirpstack": chirpstack.decode,
        "tts": tts.decode,
        "sensor-community": sensor_community.decode,
        "ngsi": ngsi.decode,
        "sensorthings": sensorthings.decode,
    }
)

FORMATS: tuple[str, ...] = ("native", "chirpstack", "tts", "sensor-community", "ngsi", "sensorthings")

# standard MQTT topic of each MQTT-borne format (exact patterns, no bridge prefix)
_TOPICS = (
    ("native", native.TOPIC_RE),
    ("chirpstack", chirpstack.TOPIC_RE),
    ("tts", tts.TOPIC_RE),
    ("sensorthings", sensorthings.TOPIC_RE),
)

# every ``InvalidReading.reason`` a decoder can give (docs/vendors.md §11 explains each); stable names,
# so counters can be pre-created and vendors can match on them
REASONS: tuple[str, ...] = (
    "too_large",
    "too_deep",
    "too_many_readings",
    "empty_body",
    "bad_encoding",
    "bad_json",
    "bad_shape",
    "no_readings",
    "missing_field",
    "bad_type",
    "duplicate_field",
    "out_of_range",
    "not_finite",
    "bad_time",
    "time_without_zone",
    "in_future",
    "too_old",
    "bad_interval",
    "length_mismatch",
    "bad_sensor_id",
    "topic_mismatch",
    "bad_topic",
    "no_decoded_payload",
    "no_laeq",
    "bad_entity_type",
    "bad_rules",
    "bad_body",
)
# what the shell should count an UnknownFormat under
UNKNOWN_FORMAT = "unknown_format"

_DEFAULT_RULES = SensorRules()


def decode(fmt: str, message: Message, *, rules: SensorRules | None = None) -> Decoded:
    """Decode one message in format ``fmt`` (one of :data:`FORMATS`)."""
    decoder = _DECODERS.get(fmt)
    if decoder is None:
        raise UnknownFormat(f"unknown format {str(fmt)[:80]!r}; known formats: {', '.join(FORMATS)}")
    return decoder(message, rules if rules is not None else _DEFAULT_RULES)


def format_for_topic(topic: str) -> str | None:
    """The format an MQTT topic belongs to, or None:

    ``noise/+/+/levels`` native, ``application/+/device/+/event/up`` chirpstack, ``v3/+/devices/+/up``
    tts, ``v1.1/Datastreams(N)/Observations`` (and ``v1.0``) sensorthings.
    """
    for fmt, pattern in _TOPICS:
        if pattern.match(topic):
            return fmt
    return None
