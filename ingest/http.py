"""HTTP ingest: the same decoders, validation and vendor ownership as MQTT (:mod:`ingest.ownership`), with a
precise answer.

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


def check_ownership(out: Outcome, vendor: str, pipeline: Pipeline) -> None:
    """Refuse readings of sensors registered to another vendor (reading-only: nothing is claimed)."""
    out.vendor = vendor
    pipeline.owners.enforce([out], claim=False)


def ingest(
    pipeline: Pipeline, fmt: str, message: Message, *, vendor: str, credential: str | None = None
) -> IngestAnswer:
    """Decode, write what the vendor owns (the pipeline claims and checks), dead-letter refusals.
    ``credential`` is the key's id (``key:12``) for provenance. Raises StoreUnavailable (nothing stored)."""
    out = decode_message(fmt, message, pipeline.rules())
    out.vendor, out.route, out.credential = vendor, "http", credential or "key"
    result: CommitResult = pipeline.commit([out])
    answer = IngestAnswer(stored=result.stored, duplicates=result.duplicates, expired=result.expired)
    answer.refused = [{"index": e.index, "reason": e.reason, "detail": e.detail} for e in out.refused]
    if not out.readings and len(out.refused) == 1 and out.refused[0].index is None:
        answer.unreadable = out.refused[0]
    return answer


def refuse_oversized(
    pipeline: Pipeline,
    fmt: str,
    message: Message,
    limit: int,
    *,
    vendor: str | None = None,
    credential: str | None = None,
) -> InvalidReading:
    """Keep the head of an oversized body as a dead letter and count it; the caller answers 413."""
    err = InvalidReading("too_large", f"body is larger than the limit of {limit} bytes")
    head = Message(
        topic=None,
        headers=message.headers,
        body=message.body[:OVERSIZE_KEEP_BYTES],
        received_s=message.received_s,
    )
    out = Outcome(source=fmt, message=head, refused=[err], vendor=vendor, route="http", credential=credential)
    pipeline.commit([out])
    return err
