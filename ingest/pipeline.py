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
from typing import Any

from noiselab.domain.errors import InvalidReading, NoiselabError, UnknownFormat
from noiselab.domain.readings import Reading
from noiselab.ingest import metrics
from noiselab.ingest.decoders import UNKNOWN_FORMAT, Message, SensorRules, decode
from noiselab.ingest.ownership import Owners, credential_of, origins
from noiselab.ingest.reconciler import Reconciler
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
    battery_pct: dict[str, float] = field(default_factory=dict)  # sensor id -> reported battery level
    vendor: str | None = None  # who sent it (topic vendor, key vendor); None = not checked for ownership
    route: str = "mqtt"  # "mqtt" or "http" (provenance)
    credential: str | None = None  # e.g. "key:12"; None = derived from the topic (ingest.ownership)
    application: str | None = None  # LoRaWAN application (topic or payload); mapped to a vendor, if at all


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
        out.battery_pct = dict(decoded.battery_pct)
        out.application = decoded.application
    return out


def refuse(out: Outcome, reading_index: int, reason: str, detail: str) -> None:
    """Move one decoded reading to the refused list (e.g. a vendor writing another vendor's sensor)."""
    out.refused.append(InvalidReading(reason, detail, index=reading_index))


@dataclass(frozen=True)
class DeadLetterBounds:
    """Retention and per-vendor quota of the dead-letter store (settings ``dead_letter_*``), and how often
    a process applies them."""

    retention_s: float = 30 * 86400.0
    quota_bytes: int = 20_000_000
    every_s: float = 10.0

    @staticmethod
    def from_settings(settings: Any) -> DeadLetterBounds:
        return DeadLetterBounds(
            retention_s=settings.dead_letter_retention_days * 86400.0,
            quota_bytes=settings.dead_letter_vendor_quota_bytes,
        )


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
        self.reconciler = Reconciler(store)  # InfluxDB: hours to recompute (ingest.reconciler, #17)
        self.owners = Owners(registry, clock, ttl_s=rules_ttl_s)
        self.dead_letter_bounds = DeadLetterBounds()
        self._pruned_at: float | None = None

    def rules(self) -> SensorRules:
        """Per-sensor intervals from the registry, refreshed every ``rules_ttl_s``."""
        now = self._clock()
        if self._rules is None or now - self._rules_at > self._rules_ttl_s:
            sensors = self.registry.list_sensors(include_retired=True)  # a retired sensor may still send
            self._rules = SensorRules(
                intervals_s={s.sensor_id: s.interval_s for s in sensors if s.interval_s}
            )
            self._rules_at = now
        return self._rules

    def commit(self, outcomes: Sequence[Outcome]) -> CommitResult:
        """Claim new sensors and refuse other vendors' (``not_your_sensor``), write readings, their
        provenance and the dead letters durably; raises StoreUnavailable (nothing is counted then)."""
        self.owners.enforce(outcomes)
        readings = [r for o in outcomes for r in o.readings]
        letters = [
            DeadLetter(
                source=o.source,
                reason=e.reason,
                detail=e.detail,
                raw=o.message.body,
                topic=o.message.topic,
                vendor=o.vendor,
                credential=credential_of(o)[1],
                index=e.index,
            )
            for o in outcomes
            for e in o.refused
        ]
        result = self.store.write(readings) if readings else WriteResult(0, 0)
        self.reconciler.note(readings)
        if readings:
            self.registry.provenance.record(origins(outcomes, int(time.time() * 1000)))
        self.registry.add_dead_letters(letters)
        self._record_status(outcomes)
        self._prune(bool(letters))
        unowned: set[str] = set()  # formats that name no vendor: registered without one
        for o in outcomes:
            if o.readings and o.vendor is None:
                unowned.update(r.sensor_id for r in o.readings)
        new_ids = unowned - self._registered
        if new_ids:  # one registry transaction only when a sensor is seen for the first time
            self.registry.ensure_sensors(new_ids, vendor=None)
            self._registered |= new_ids
        self._count(outcomes, result)
        return CommitResult(result.stored, result.duplicates, len(letters), result.expired)

    def _record_status(self, outcomes: Sequence[Outcome]) -> None:
        """For the ``clock`` and ``battery`` health checks: when each sensor's latest message arrived and
        when its newest reading ended, and the battery level a payload reported."""
        arrivals: dict[str, tuple[str, int, int]] = {}
        battery: list[tuple[str, float, int]] = []
        for o in outcomes:
            arrival_ms = int(o.message.received_s * 1000)
            for r in o.readings:
                end_ms = r.start_ms + int(r.interval_s * 1000)
                seen = arrivals.get(r.sensor_id)
                if seen is None or (arrival_ms, end_ms) > (seen[1], seen[2]):
                    arrivals[r.sensor_id] = (r.sensor_id, arrival_ms, end_ms)
            if o.readings:
                battery += [(sid, pct, arrival_ms) for sid, pct in o.battery_pct.items()]
        if arrivals:
            self.registry.status.record_arrivals(arrivals.values())
        if battery:
            self.registry.status.record_battery(battery)

    def _prune(self, added: bool) -> None:
        """Apply retention and quota at most every ``every_s`` (and at least every 60 × that)."""
        now = self._clock()
        bounds = self.dead_letter_bounds
        last = self._pruned_at
        if last is not None and now - last < (bounds.every_s if added else 60 * bounds.every_s):
            return
        self._pruned_at = now
        dropped = self.registry.deadletters.prune(
            now_ms=int(time.time() * 1000),
            retention_ms=int(bounds.retention_s * 1000),
            quota_bytes=bounds.quota_bytes,
        )
        if dropped.by_retention:
            metrics.DEAD_LETTERS_DROPPED.labels("retention").inc(dropped.by_retention)
        if dropped.by_quota:
            metrics.DEAD_LETTERS_DROPPED.labels("quota").inc(dropped.by_quota)
            log.warning("dead letters over a vendor's quota: %d oldest messages dropped", dropped.by_quota)

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
