"""Payload decoders: pure functions from a received message to readings, one module per format.

    decode(fmt, message, rules=...) -> Decoded(readings, refused)

- raises :class:`~noiselab.domain.errors.UnknownFormat` for a format name not in :data:`FORMATS`;
- raises :class:`~noiselab.domain.errors.InvalidReading` when the message cannot be read at all (size,
  encoding, JSON, nesting, shape, topic) or when a one-reading message is refused;
- otherwise returns the readings and, for messages holding several readings, one
  ``InvalidReading`` per refused item with ``.index`` set to its position.

Each format module ends with one declaration, ``FORMAT = Format(name, title, decode, default interval,
topic shapes, MQTT subscriptions)``. Everything else is derived from :data:`DECLARATIONS`: the format
names (:data:`FORMATS`), the MQTT-borne ones (:data:`MQTT_FORMATS`, the collector's default sources),
the collector's subscriptions (:func:`subscriptions`), topic routing with optional bridge prefixes
(:func:`route`), and the default intervals. Adding a format is adding a module and one line in
:data:`DECLARATIONS`. No I/O, clock or settings here. The contract for vendors is docs/vendors.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from noiselab.domain.errors import UnknownFormat
from noiselab.ingest.decoders import chirpstack, native, ngsi, sensor_community, sensorthings, tts
from noiselab.ingest.decoders.body import MAX_BODY_BYTES, MAX_DEPTH, MAX_ITEMS
from noiselab.ingest.decoders.message import Decoded, Decoder, Format, Message, SensorRules

__all__ = [
    "BY_NAME",
    "DECLARATIONS",
    "DEFAULT_INTERVALS_S",
    "FORMATS",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MQTT_FORMATS",
    "REASONS",
    "SHELL_REASONS",
    "UNKNOWN_FORMAT",
    "Decoded",
    "Decoder",
    "Format",
    "Message",
    "Route",
    "SensorRules",
    "decode",
    "format_for_topic",
    "parse_prefixes",
    "route",
    "subscriptions",
]

# the one list of formats, in the order of SPEC §4
DECLARATIONS: tuple[Format, ...] = (
    native.FORMAT,
    chirpstack.FORMAT,
    tts.FORMAT,
    sensor_community.FORMAT,
    ngsi.FORMAT,
    sensorthings.FORMAT,
)
BY_NAME: Mapping[str, Format] = MappingProxyType({f.name: f for f in DECLARATIONS})
FORMATS: tuple[str, ...] = tuple(BY_NAME)
MQTT_FORMATS: tuple[str, ...] = tuple(f.name for f in DECLARATIONS if f.mqtt)
DEFAULT_INTERVALS_S: Mapping[str, float] = MappingProxyType(
    {f.name: f.default_interval_s for f in DECLARATIONS}
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
# reasons the shells (collector, HTTP ingest, store) give after or instead of decoding; documented in the
# same table of docs/vendors.md
SHELL_REASONS: tuple[str, ...] = ("unknown_topic", "not_your_sensor", "expired", "undecodable")
# what the shell should count an UnknownFormat under
UNKNOWN_FORMAT = "unknown_format"

_DEFAULT_RULES = SensorRules()


def decode(fmt: str, message: Message, *, rules: SensorRules | None = None) -> Decoded:
    """Decode one message in format ``fmt`` (one of :data:`FORMATS`). ``message.topic`` is the topic
    without any bridge prefix (see :func:`route`); a topic of the wrong shape is refused as ``bad_topic``."""
    declared = BY_NAME.get(fmt) if isinstance(fmt, str) else None
    if declared is None:
        raise UnknownFormat(f"unknown format {str(fmt)[:80]!r}; known formats: {', '.join(FORMATS)}")
    declared.check_topic(message.topic)
    return declared.decode(message, rules if rules is not None else _DEFAULT_RULES)


# --- MQTT topics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Where an MQTT message goes: its format, its topic without the bridge prefix, the prefix, and the
    topic's fields (``{"vendor": ..., "sensor_id": ...}`` for native) when it has the exact shape, else
    None (the decoder then refuses it as ``bad_topic``)."""

    format: str
    topic: str
    prefix: str
    fields: Mapping[str, str] | None


def parse_prefixes(prefixes: str | Iterable[str] | None) -> tuple[str, ...]:
    """Bridge prefixes (``"bridge/tts, ingest/os2iot/"`` or a list) as ``("", "bridge/tts/", ...)``:
    unprefixed topics are always accepted. Raises ValueError for a prefix with MQTT wildcards."""
    items = prefixes.split(",") if isinstance(prefixes, str) else list(prefixes or ())
    out = [""]
    for item in items:
        text = item.strip().strip("/")
        if not text:
            continue
        if any(c in text for c in "+#$\0") or "//" in text:
            raise ValueError(f"a topic prefix may not contain '+', '#', '$' or empty levels: {item!r}")
        if text + "/" not in out:
            out.append(text + "/")
    return tuple(out)


def _filter_matches(pattern: str, topic: str) -> bool:
    """MQTT filter matching (``+`` one level, ``#`` the rest, including none)."""
    levels = topic.split("/")
    for i, part in enumerate(pattern.split("/")):
        if part == "#":
            return True
        if i >= len(levels) or (part != "+" and part != levels[i]):
            return False
    return len(levels) == len(pattern.split("/"))


def route(topic: str, prefixes: Sequence[str] = ("",), sources: Iterable[str] | None = None) -> Route | None:
    """The format a received topic belongs to (under the longest matching bridge prefix), or None when
    no subscription of ``sources`` (default: every MQTT format) covers it."""
    enabled = [BY_NAME[s] for s in (MQTT_FORMATS if sources is None else sources) if s in BY_NAME]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if not topic.startswith(prefix):
            continue
        inner = topic[len(prefix) :]
        for declared in enabled:
            if any(_filter_matches(s, inner) for s in declared.subscriptions):
                return Route(declared.name, inner, prefix, declared.topic_fields(inner))
    return None


def format_for_topic(topic: str, prefixes: Sequence[str] = ("",)) -> str | None:
    """The format an MQTT topic is routed to (see :func:`route`), or None."""
    found = route(topic, prefixes)
    return found.format if found else None


def subscriptions(
    sources: Iterable[str] | None = None, prefixes: Sequence[str] = ("",), shared_group: str | None = None
) -> list[str]:
    """The MQTT filters the collector subscribes to: each source's subscriptions under each prefix,
    inside ``$share/{group}/`` when a shared group is given. Raises ValueError for a name that is not
    an MQTT format."""
    names = list(MQTT_FORMATS if sources is None else sources)
    unknown = [n for n in names if n not in MQTT_FORMATS]
    if unknown:
        raise ValueError(
            f"unknown MQTT source(s) {', '.join(map(repr, unknown))}; MQTT formats: {', '.join(MQTT_FORMATS)}"
        )
    share = f"$share/{shared_group}/" if shared_group else ""
    return [share + prefix + s for name in names for prefix in prefixes for s in BY_NAME[name].subscriptions]
