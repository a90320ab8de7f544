"""The vendors' conformance check: decode a sample exactly as ingest would, store nothing, and say what
would be stored and what is wrong with the rest (``POST /v1/ingest/{format}/check``, ``noiselab check``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from noiselab.ingest.decoders import Message, SensorRules
from noiselab.ingest.pipeline import Outcome, decode_message

NATIVE_FIELDS = {"sensor_id", "ts", "start", "interval_s", "laeq", "lafmax", "lafmin", "lcpeak"}
SHOWN_READINGS = 1000


def ignored_fields(fmt: str, body: bytes) -> list[str]:
    """Native keys we do not know (they are ignored, which is often a typo: ``laeq_db``, ``time``)."""
    if fmt != "native":
        return []
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    items = data if isinstance(data, list) else [data]
    unknown = {k for item in items if isinstance(item, dict) for k in item if k.lower() not in NATIVE_FIELDS}
    return sorted(unknown)[:100]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def report(fmt: str, out: Outcome, body: bytes) -> dict[str, Any]:
    """The answer: counts, the first readings as they would be stored, every refusal with its reason."""
    return {
        "format": fmt,
        "would_store": len(out.readings),
        "refused": [{"index": e.index, "reason": e.reason, "detail": e.detail} for e in out.refused],
        "ignored_fields": ignored_fields(fmt, body),
        "readings": [
            {
                "sensor_id": r.sensor_id,
                "start": _iso(r.start_ms),
                "interval_s": r.interval_s,
                "laeq": r.laeq,
                "lafmax": r.lafmax,
                "lafmin": r.lafmin,
                "lcpeak": r.lcpeak,
                "source": r.source,
            }
            for r in out.readings[:SHOWN_READINGS]
        ],
    }


def check_sample(fmt: str, message: Message, rules: SensorRules | None) -> tuple[Outcome, dict[str, Any]]:
    out = decode_message(fmt, message, rules)
    return out, report(fmt, out, message.body)
