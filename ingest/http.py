"""HTTP ingest: the same decoders and validation as MQTT, plus vendor ownership, with a precise answer.

A vendor key may write only sensors registered to that vendor; a sensor nobody has registered yet is
registered to the vendor that first writes it. A sensor registered without a vendor (it arrived over a
LoRaWAN network server, say) must be given one by an admin before a vendor may write it over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from noiselab.domain.errors import InvalidReading
from noiselab.ingest.decoders import Message
from noiselab.ingest.pipeline import CommitResult, Outcome, Pipeline, decode_message

OVERSIZE_KEEP_BYTES = 4096


@dataclass
class IngestAnswer:
    stored: int
    duplicates: int
    expired: int = 0
    refused: list[dict[str, object]] = field(default_factory=list)
    unreadable: InvalidReading | None = None  # the whole body was refused


def _item_positions(out: Outcome) -> list[int]:
    """Each decoded reading's position in the body: items give one reading or one refusal each."""
    refused = {e.index for e in out.refused if e.index is not None}
    positions, k = [], 0
    for _ in out.readings:
        while k in refused:
            k += 1
        positions.append(k)
        k += 1
    return positions


def check_ownership(out: Outcome, vendor: str, pipeline: Pipeline) -> None:
    """Refuse readings of sensors registered to another vendor (reading-only: nothing is written)."""
    kept = []
    owners: dict[str, str | None] = {}
    for r, position in zip(out.readings, _item_positions(out), strict=True):
        if r.sensor_id not in owners:
            sensor = pipeline.registry.get_sensor(r.sensor_id)
            owners[r.sensor_id] = vendor if sensor is None else sensor.vendor
        if owners[r.sensor_id] == vendor:
            kept.append(r)
        else:
            detail = (
                f"sensor {r.sensor_id!r} is not registered to vendor {vendor!r}; ask an admin to assign it"
            )
            out.refused.append(InvalidReading("not_your_sensor", detail, index=position))
    out.readings = kept
    out.refused.sort(key=lambda e: -1 if e.index is None else e.index)


def ingest(pipeline: Pipeline, fmt: str, message: Message, *, vendor: str) -> IngestAnswer:
    """Decode, check ownership, write, dead-letter refusals. Raises StoreUnavailable (nothing stored)."""
    out = decode_message(fmt, message, pipeline.rules())
    out.vendor = vendor
    check_ownership(out, vendor, pipeline)
    result: CommitResult = pipeline.commit([out])
    answer = IngestAnswer(stored=result.stored, duplicates=result.duplicates, expired=result.expired)
    answer.refused = [{"index": e.index, "reason": e.reason, "detail": e.detail} for e in out.refused]
    if not out.readings and len(out.refused) == 1 and out.refused[0].index is None:
        answer.unreadable = out.refused[0]
    return answer


def refuse_oversized(pipeline: Pipeline, fmt: str, message: Message, limit: int) -> InvalidReading:
    """Keep the head of an oversized body as a dead letter and count it; the caller answers 413."""
    err = InvalidReading("too_large", f"body is larger than the limit of {limit} bytes")
    head = Message(
        topic=None,
        headers=message.headers,
        body=message.body[:OVERSIZE_KEEP_BYTES],
        received_s=message.received_s,
    )
    pipeline.commit([Outcome(source=fmt, message=head, refused=[err])])
    return err
