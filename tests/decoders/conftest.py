"""Helpers for decoder tests: fixture bodies, messages, and hand-written UTC times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from noiselab.domain.errors import InvalidReading
from noiselab.ingest.decoders import Decoded, Message, SensorRules, decode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> object:
    return json.loads(fixture_bytes(name))


def utc_s(*args: int, micro: int = 0) -> float:
    """Epoch seconds of a UTC wall-clock time, computed independently of the decoders."""
    return datetime(*args, microsecond=micro, tzinfo=UTC).timestamp()


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def message(
    body: bytes | object,
    *,
    topic: str | None = None,
    headers: dict[str, str] | None = None,
    received_s: float,
) -> Message:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Message(topic=topic, headers=headers or {}, body=raw, received_s=received_s)


def run(fmt: str, msg: Message, rules: SensorRules | None = None) -> Decoded:
    return decode(fmt, msg, rules=rules)


def refused(fmt: str, msg: Message, rules: SensorRules | None = None) -> InvalidReading:
    """The refusal of a message that must not decode at all."""
    with pytest.raises(InvalidReading) as info:
        decode(fmt, msg, rules=rules)
    assert info.value.reason.islower() and " " not in info.value.reason
    assert info.value.detail
    return info.value
