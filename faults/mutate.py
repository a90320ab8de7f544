"""A small seeded mutation fuzzer for payloads: generate and mutate (format, topic, headers, body) cases.

Everything is driven by one ``random.Random``, so a run is reproduced exactly from its seed. Four
families of case, chosen at random for each payload:

- structural mutations of a valid example: a value replaced by a hostile one (NaN, huge or negative
  numbers, strings, times without a zone or far in the future, nested containers), a key deleted,
  renamed or re-cased, the document wrapped in an array or cut into a sub-tree;
- byte mutations of a valid example: bit flips, inserted/deleted/duplicated slices, invalid UTF-8,
  truncation, a BOM;
- generated documents: random JSON trees and native readings with random times and levels;
- the same body sent to the wrong decoder or on a wrong topic, and mutated topics and headers.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "payloads"

# each seed: format, transport topic (None for HTTP), headers, fixture file
SEEDS: tuple[tuple[str, str | None, dict[str, str], str], ...] = (
    ("native", "noise/acme/d-1/levels", {}, "native-single.json"),
    ("native", "noise/acme/d-1/levels", {}, "native-batch.json"),
    ("native", "noise/acme/d-1/levels", {}, "native-glossary-case.json"),
    (
        "chirpstack",
        "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124743c210001/event/up",
        {},
        "chirpstack-v4-ws302.json",
    ),
    ("tts", "v3/silentcity@ttn/devices/elsys-1/up", {}, "tts-v3-elsys.json"),
    ("tts", "v3/silentcity@ttn/devices/ws302-1/up", {}, "tts-v3-ws302.json"),
    ("sensor-community", None, {"x-sensor": "esp8266-13597771"}, "sensor-community-dnms.json"),
    ("ngsi", None, {}, "ngsi-v2-keyvalues.json"),
    ("ngsi", None, {}, "ngsi-ld-normalized.json"),
    ("sensorthings", "v1.1/Datastreams(17)/Observations", {}, "sensorthings-observation.json"),
)

HOSTILE_VALUES: tuple[object, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    5e-324,
    14.99,
    145.01,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "NaN",
    "52,3",
    "52.3",
    " 60 ",
    "0x3c",
    "1e3",
    "x" * 300,
    "\u0000",
    "\ud800",
    "2026-06-10T07:00:00",
    "2026-06-10T07:00:00Z",
    "2026-06-10T07:00:00+25:00",
    "2099-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-13-45T99:99:99Z",
    "2026-06-10T07:00:00Z/2026-06-10T06:00:00Z",
    -86400 * 365 * 3000,
    86400 * 365 * 10000,
    [],
    {},
    [1, 2, 3],
    {"a": {"b": {"c": None}}},
    ["58.2", None, 1e999],
)
FIELD_NAMES = (
    "ts",
    "start",
    "interval_s",
    "laeq",
    "LAeq",
    "lafmax",
    "lafmin",
    "lcpeak",
    "sensor_id",
    "object",
    "uplink_message",
    "decoded_payload",
    "deviceInfo",
    "devEui",
    "time",
    "received_at",
    "sensordatavalues",
    "value_type",
    "value",
    "refDevice",
    "dateObservedFrom",
    "dateObservedTo",
    "type",
    "id",
    "phenomenonTime",
    "result",
    "soundAvg",
    "LAF",
)
TOPICS = (
    "noise/acme/d-1/levels",
    "noise/acme/d 1/levels",
    "noise//levels",
    "noise/acme/" + "x" * 100 + "/levels",
    "noise/acme/d-1/levels/extra",
    "noise/+/#",
    "application/a/device/ZZZZ/event/up",
    "application/a/device//event/up",
    "v3/app@ttn/devices/../up",
    "v1.1/Datastreams(abc)/Observations",
    "v1.1/Datastreams(99999999999999999999999)/Observations",
    "v1.0/Datastreams(-1)/Observations",
    "",
    "\u00e6\u00f8\u00e5/\u0000/levels",
)


@dataclass(frozen=True)
class Case:
    fmt: str
    topic: str | None
    headers: dict[str, str]
    body: bytes
    family: str


def load_seeds() -> list[tuple[str, str | None, dict[str, str], object]]:
    return [(fmt, topic, hdr, json.loads((FIXTURES / name).read_text())) for fmt, topic, hdr, name in SEEDS]


def hostile(rng: random.Random) -> object:
    """One of the hostile values, as a fresh object (some are containers the mutations change)."""
    value = rng.choice(HOSTILE_VALUES)
    return json.loads(json.dumps(value)) if isinstance(value, (list, dict)) else value


def _dumps(doc: object) -> bytes:
    try:
        return json.dumps(doc, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, OverflowError):
        return b"{}"


def _paths(doc: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if len(prefix) > 12:
        return out
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:50]):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(doc: object, path: tuple[object, ...]) -> object:
    for p in path:
        doc = doc[p]  # type: ignore[index]
    return doc


def _replace(doc: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    parent = _get(doc, path[:-1])
    parent[path[-1]] = value  # type: ignore[index]
    return doc


def random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return hostile(rng) if rng.random() < 0.5 else rng.uniform(-200, 300)
    if roll < 0.65:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    return {rng.choice(FIELD_NAMES): random_json(rng, depth + 1) for _ in range(rng.randrange(0, 6))}


def structural(rng: random.Random, doc: object) -> object:
    doc = json.loads(json.dumps(doc))  # a private copy
    for _ in range(rng.randrange(1, 4)):
        paths = _paths(doc)
        path = rng.choice(paths)
        op = rng.random()
        target = _get(doc, path)
        if op < 0.45:
            doc = _replace(doc, path, hostile(rng))
        elif op < 0.6 and isinstance(target, dict) and target:
            key = rng.choice(list(target))
            value = target.pop(key)
            if rng.random() < 0.5:  # renamed, re-cased or duplicated under another spelling
                target[rng.choice((key.upper(), key.title(), rng.choice(FIELD_NAMES)))] = value
        elif op < 0.7 and isinstance(target, dict):
            target[rng.choice(FIELD_NAMES)] = random_json(rng)
        elif op < 0.8 and isinstance(target, list):
            target.extend(hostile(rng) for _ in range(rng.randrange(1, 5)))
        elif op < 0.88:
            doc = [json.loads(json.dumps(doc)) for _ in range(rng.randrange(0, 4))]
        elif op < 0.94:
            doc = target
        else:
            doc = _replace(doc, path, random_json(rng))
    return doc


def byte_mutation(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randrange(1, 6)):
        op = rng.random()
        pos = rng.randrange(0, len(data) + 1)
        if op < 0.25 and data:
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif op < 0.4:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        elif op < 0.55:
            del data[pos : pos + rng.randrange(1, 20)]
        elif op < 0.65:
            n = rng.randrange(1, 40)
            data[pos:pos] = data[max(0, pos - n) : pos] * rng.randrange(1, 4)
        elif op < 0.75:
            data[pos:pos] = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\\u0000", b'\\ud800"'))
        elif op < 0.85:
            data = data[: rng.randrange(0, len(data) + 1)]
        elif op < 0.9:
            data = bytearray(b"\xef\xbb\xbf") + data
        else:
            data[pos:pos] = rng.choice(
                (b"NaN", b"Infinity", b"-Infinity", b"1e999", b"9" * 5000, b"{}", b"[]")
            )
    return bytes(data)


def generated_native(rng: random.Random, now_s: float) -> object:
    """A native reading or batch with random times (past, near and far future) and levels."""
    offset_s = rng.choice((-86400 * 30, -3600, -60, 0, 599, 601, 3600, 86400)) + rng.uniform(-5, 5)
    start_s = now_s + offset_s
    ts: object = start_s
    if rng.random() < 0.5:
        ts = datetime.fromtimestamp(start_s, tz=UTC).isoformat()
    if rng.random() < 0.5:
        return {"ts": ts, "interval_s": rng.choice((1, 60, 0, -1, 0.5)), "laeq": rng.uniform(0, 160)}
    n = rng.randrange(0, 20)
    return {"start": ts, "interval_s": 1, "laeq": [rng.uniform(0, 160) for _ in range(n)]}


def hostile_specials() -> list[bytes]:
    """Bodies aimed at the parser's limits: deep nesting, huge numbers, huge bodies."""
    return [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"[" * 40 + b"]" * 40,
        b'{"laeq": ' + b"9" * 100_000 + b"}",
        b'{"ts": 1, "laeq": 60, "x": "' + b"a" * 1_100_000 + b'"}',
        b'{"laeq": 60, "laeq": 70, "ts": 1}',
        json.dumps({"start": 0, "interval_s": 1, "laeq": [60.0] * 200_000}).encode(),
        b"\x00" * 1000,
        b"   ",
        b"",
    ]


def make_case(
    rng: random.Random, seeds: list[tuple[str, str | None, dict[str, str], object]], now_s: float
) -> Case:
    fmt, topic, headers, doc = rng.choice(seeds)
    roll = rng.random()
    if roll < 0.4:
        family, body = "structural", _dumps(structural(rng, doc))
    elif roll < 0.7:
        family, body = "bytes", byte_mutation(rng, _dumps(doc))
    elif roll < 0.82:
        family, body = "generated", _dumps(random_json(rng))
    else:
        family, body = "native-times", _dumps(generated_native(rng, now_s))
        fmt, topic, headers = "native", "noise/acme/d-1/levels", {}
    if rng.random() < 0.08:  # the wrong decoder for this body
        fmt = rng.choice(("native", "chirpstack", "tts", "sensor-community", "ngsi", "sensorthings"))
        family += "+wrong-format"
    if topic is not None and rng.random() < 0.08:
        topic = rng.choice(TOPICS)
        family += "+topic"
    if fmt == "sensor-community" and rng.random() < 0.1:
        headers = {"x-sensor": rng.choice(("", "a" * 200, "esp 1", "\u00e6", "esp8266-1"))}
        family += "+header"
    return Case(fmt, topic, dict(headers), body, family)
