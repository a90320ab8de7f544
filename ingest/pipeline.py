"""The shared second half of ingestion (MQTT collector and HTTP ingest alike):
decoded messages -> readings written, refusals dead-lettered and counted, sensors auto-registered.

``decode_message`` is pure apart from the decoder call; ``Pipeline.commit`` is the only place that
writes. Both raise nothing for bad input: refusals become ``Refusal`` records.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from noiselab.domain.errors import InvalidReading, NoiselabError, UnknownFormat
from noiselab.domain.readings import Reading
from noiselab.ingest import metrics
from noiselab.ingest.decoders import UNKNOWN_FORMAT, Message, SensorRules, decode
from noiselab.store.base import ReadingStore, WriteResult
from noiselab.store.registry import DeadLetter, Registry

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one received message turned into."""

    source: str
    message: Message
    readings: list[Reading] = field(default_factory=list)
    refused: list[InvalidReading] = field(default_factory=list)
    vendor: str | None = None


def decode_message(fmt: str | None, message: Message, rules: SensorRules | None) -> Outcome:
    """Decode; a message that cannot be read at all becomes one refusal."""
    source = fmt or "unknown"
    out = Outcome(source=source, message=message)
    if fmt is None:
        out.refused.append(InvalidReading("unknown_topic", f"no decoder for topic {message.topic!r}"))
        return out
    try:
        decoded = decode(fmt, message, rules=rules)
    except InvalidReading as exc:
        out.refused.append(exc)
    except UnknownFormat as exc:
        out.refused.append(InvalidReading(UNKNOWN_FORMAT, str(exc)))
    except NoiselabError as exc:
        out.refused.append(InvalidReading("undecodable", str(exc)))
    else:
        out.readings, out.refused = list(decoded.readings), list(decoded.refused)
    return out


def refuse(out: Outcome, reading_index: int, reason: str, detail: str) -> None:
    """Move one decoded reading to the refused list (e.g. a vendor writing another vendor's sensor)."""
    out.refused.append(InvalidReading(reason, detail, index=reading_index))


@dataclass
class CommitResult:
    stored: int
    duplicates: int
    refused: int
    expired: int = 0


class Pipeline:
    def __init__(
        self,
        store: ReadingStore,
        registry: Registry,
        *,
        rules_ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.registry = registry
        self._rules: SensorRules | None = None
        self._rules_at = 0.0
        self._rules_ttl_s = rules_ttl_s
        self._clock = clock
        self._registered: set[str] = set()  # sensors known to be in the registry (it never forgets one)

    def rules(self) -> SensorRules:
        """Per-sensor intervals from the registry, refreshed every ``rules_ttl_s``."""
        now = self._clock()
        if self._rules is None or now - self._rules_at > self._rules_ttl_s:
            sensors = self.registry.list_sensors()
            self._rules = SensorRules(
                intervals_s={s.sensor_id: s.interval_s for s in sensors if s.interval_s}
            )
            self._rules_at = now
        return self._rules

    def commit(self, outcomes: Sequence[Outcome]) -> CommitResult:
        """Write readings and dead letters durably; raises StoreUnavailable (nothing is counted then)."""
        readings = [r for o in outcomes for r in o.readings]
        letters = [
            DeadLetter(
                source=o.source, reason=e.reason, detail=e.detail, raw=o.message.body, topic=o.message.topic
            )
            for o in outcomes
            for e in o.refused
        ]
        result = self.store.write(readings) if readings else WriteResult(0, 0)
        self.registry.add_dead_letters(letters)
        by_vendor: dict[str | None, set[str]] = {}
        for o in outcomes:
            if o.readings:
                by_vendor.setdefault(o.vendor, set()).update(r.sensor_id for r in o.readings)
        for vendor, ids in by_vendor.items():
            new_ids = ids - self._registered
            if new_ids:  # one registry transaction only when a sensor is seen for the first time
                self.registry.ensure_sensors(new_ids, vendor=vendor)
                self._registered |= new_ids
        self._count(outcomes, result)
        return CommitResult(result.stored, result.duplicates, len(letters), result.expired)

    @staticmethod
    def _count(outcomes: Sequence[Outcome], result: WriteResult) -> None:
        for o in outcomes:
            for e in o.refused:
                metrics.REFUSED.labels(o.source, e.reason).inc()
        sources = {o.source for o in outcomes if o.readings}
        label = sources.pop() if len(sources) == 1 else "mixed"
        metrics.READINGS_STORED.labels(label).inc(result.stored)
        metrics.READINGS_DUPLICATE.labels(label).inc(result.duplicates)
        if result.expired:
            # older than the raw-data retention cut-off already applied: counted, not stored
            metrics.REFUSED.labels(label, "expired").inc(result.expired)
            log.warning("refused input: source=%s reason=expired count=%d", label, result.expired)
        kinds = {(o.source, e.reason) for o in outcomes for e in o.refused}
        for source, reason in sorted(kinds):
            log.warning("refused input: source=%s reason=%s", source, reason)
