"""The registry's interfaces by role: sensors, dead letters, API keys, target profiles (and the roles that
later features add beside them: trials, alert rules, audit). :class:`Registry` bundles them.

Implementations: :class:`noiselab.store.registry.SqlRegistry` over a :class:`~.sql.SqlDatabase`, i.e.
``SqliteRegistry`` (embedded default) and ``PostgresRegistry`` (several hosts). The composition root opens
one with :func:`noiselab.store.registry.open_registry` and hands it down; nothing else builds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the rows are defined beside the SQL that writes them
    from noiselab.store.registry.alerts import AlertRow, DeliveryRow, PendingDelivery


@dataclass
class Sensor:
    sensor_id: str
    name: str | None = None
    vendor: str | None = None
    lat: float | None = None
    lon: float | None = None
    area_category: str | None = None  # housing, recreation, office, ...
    source_type: str = "road"  # road, rail, industry, ...
    facade: bool = False
    sonometer_class: str | None = None
    interval_s: float | None = None
    target_profile: str | None = None
    public: bool = False
    placed: bool = False
    created_ms: int = 0
    retired_ms: int | None = None  # retired: keeps its data, leaves current answers and the residents' page

    @property
    def retired(self) -> bool:
        return self.retired_ms is not None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "retired": self.retired}


SENSOR_FIELDS = tuple(f.name for f in fields(Sensor))


@dataclass(frozen=True)
class DeadLetter:
    """One refused item (or a whole refused message). Letters of one message share ``raw``, which is
    stored once. ``vendor`` is who sent it (topic vendor or key vendor; None when unknown), ``credential``
    how (e.g. ``key:12``, ``mqtt-topic-vendor:acme``); ``index`` the item's position in the body."""

    source: str
    reason: str
    detail: str
    raw: bytes
    topic: str | None = None
    sensor_id: str | None = None
    vendor: str | None = None
    credential: str | None = None
    index: int | None = None


@dataclass(frozen=True)
class ApiKey:
    key_id: int
    hint: str  # the first 8 characters, to tell keys apart in listings
    role: str
    vendor: str | None
    label: str | None
    created_ms: int
    revoked_ms: int | None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "active": self.active}


class SensorRegistry(Protocol):
    """Sensors. ``list_sensors`` leaves retired sensors out unless ``include_retired``; ``get_sensor`` finds
    them (their data stays readable). ``upsert_sensor`` never changes ``retired_ms``: ``retire_sensor`` and
    ``reinstate_sensor`` do (False when already in that state or unknown). ``delete_sensor`` removes the
    registry entry only (the reading store keeps the readings)."""

    def get_sensor(self, sensor_id: str) -> Sensor | None: ...
    def list_sensors(self, *, public_only: bool = False, include_retired: bool = False) -> list[Sensor]: ...
    def upsert_sensor(self, sensor: Sensor) -> None: ...
    def ensure_sensors(self, sensor_ids: Iterable[str], *, vendor: str | None = None) -> None: ...
    def retire_sensor(self, sensor_id: str, *, at_ms: int) -> bool: ...
    def reinstate_sensor(self, sensor_id: str) -> bool: ...
    def delete_sensor(self, sensor_id: str) -> bool: ...


class DeadLetterRegistry(Protocol):
    def add_dead_letters(self, letters: Iterable[DeadLetter]) -> int: ...
    def dead_letters(
        self, *, limit: int = 100, since_id: int = 0, vendor: str | None = None
    ) -> list[dict[str, Any]]: ...


class DeadLetterStore(Protocol):
    """Dead letters with their bounds (:mod:`.deadletters`): bodies once, retention and per-owner quota."""

    def add(self, letters: Iterable[DeadLetter], *, now_ms: int | None = None) -> int: ...
    def list(
        self, *, limit: int = 100, since_id: int = 0, vendor: str | None = None
    ) -> list[dict[str, Any]]: ...
    def prune(self, *, now_ms: int, retention_ms: int, quota_bytes: int) -> Any: ...
    def usage(self) -> dict[str, int]: ...


class OwnershipRegistry(Protocol):
    """Sensor owners (:mod:`.ownership`): ``claim`` registers unknown sensors to a vendor atomically."""

    def claim(self, sensor_ids: Iterable[str], vendor: str) -> dict[str, str | None]: ...
    def owners(self, sensor_ids: Iterable[str]) -> dict[str, str | None]: ...


class LorawanApplicationRegistry(Protocol):
    """LoRaWAN applications mapped to vendors (:mod:`.lorawan`): ``set`` creates or replaces a mapping and
    returns the previous one; ``vendors`` gives the vendor of each mapped application among the ids."""

    def set(
        self, application_id: str, vendor: str, *, now_ms: int | None = None
    ) -> dict[str, Any] | None: ...
    def get(self, application_id: str) -> dict[str, Any] | None: ...
    def list(self) -> list[dict[str, Any]]: ...
    def delete(self, application_id: str) -> bool: ...
    def vendors(self, application_ids: Iterable[str]) -> dict[str, str]: ...


class ProvenanceRegistry(Protocol):
    """Route and credential of stored batches per sensor and hour (:mod:`.provenance`)."""

    def record(self, origins: list[Any]) -> None: ...
    def list(
        self, sensor_id: str, *, limit: int = 100, before_hour_ms: int | None = None
    ) -> list[dict[str, Any]]: ...


class AuditRegistry(Protocol):
    """Admin actions, append-only (:mod:`.audit`)."""

    def record(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None: ...
    def list(
        self, *, limit: int = 100, since_id: int = 0, target: str | None = None
    ) -> list[dict[str, Any]]: ...


class KeyRegistry(Protocol):
    def create(
        self, role: str, *, vendor: str | None = None, label: str | None = None
    ) -> tuple[ApiKey, str]: ...
    def list(self, *, include_revoked: bool = True) -> list[ApiKey]: ...
    def revoke(self, key_id: int) -> bool: ...
    def verify(self, key: str) -> ApiKey | None: ...


class TargetRegistry(Protocol):
    def save(self, profile_id: str, body: dict[str, Any]) -> int: ...
    def latest(self) -> list[dict[str, Any]]: ...


class StatusRegistry(Protocol):
    """Arrival times and battery levels per sensor (:mod:`.status`)."""

    def record_arrivals(self, arrivals: Iterable[tuple[str, int, int]]) -> None: ...
    def record_battery(self, readings: Iterable[tuple[str, float, int]]) -> None: ...
    def get(self, sensor_id: str) -> Any: ...


class HistoryRegistry(Protocol):
    """Placements, calibration checks, replacements and sensor pairs (:mod:`.history`)."""

    def add(
        self,
        sensor_id: str,
        kind: str,
        at_ms: int,
        body: dict[str, Any],
        *,
        offset_db: float | None = None,
        by: str | None = None,
    ) -> int: ...
    def records(self, sensor_id: str, *, kind: str | None = None) -> list[dict[str, Any]]: ...
    def changes_between(self, sensor_id: str, start: Any, end: Any) -> list[dict[str, Any]]: ...
    def offsets(self, sensor_id: str) -> list[tuple[int, float]]: ...
    def last_calibration_ms(self, sensor_id: str) -> int | None: ...
    def set_pair(self, sensor_a: str, sensor_b: str, relation: str) -> None: ...
    def pairs(self, sensor_id: str | None = None) -> list[tuple[str, str, str]]: ...
    def delete_pair(self, sensor_a: str, sensor_b: str) -> bool: ...


class AlertRegistry(Protocol):
    """Alert rules, per rule/sensor states, alerts and their delivery outbox (:mod:`.alerts`).

    ``create_rule`` raises ``Conflict`` for an existing id; ``apply`` writes one rule/sensor's new state, its
    alerts and their deliveries in one transaction (deliveries keyed by alert, state and channel, inserted
    once); ``due`` lists undelivered deliveries whose release and next attempt have come; ``alerts`` reads
    alerts back, newest first, with their deliveries and attempts."""

    def create_rule(self, rule_id: str, body: dict[str, Any], *, now_ms: int) -> None: ...
    def rules(self) -> list[dict[str, Any]]: ...
    def rule(self, rule_id: str) -> dict[str, Any] | None: ...
    def delete_rule(self, rule_id: str) -> bool: ...
    def states(self, rule_id: str) -> dict[str, dict[str, Any]]: ...
    def apply(
        self,
        rule_id: str,
        sensor_id: str,
        state: dict[str, Any],
        alerts: Sequence[AlertRow],
        deliveries: Sequence[DeliveryRow],
        *,
        now_ms: int,
    ) -> None: ...
    def due(self, now_ms: int, *, limit: int = 100) -> list[PendingDelivery]: ...
    def record_attempt(
        self, d: PendingDelivery, *, now_ms: int, ok: bool, outcome: str, next_attempt_ms: int | None
    ) -> None: ...
    def alerts(self, *, since_ms: int = 0, limit: int = 1000) -> list[dict[str, Any]]: ...


class LeaseRegistry(Protocol):
    """Named leases with an expiry (:mod:`.alerts`): ``acquire`` takes or renews a lease and is False while
    another holder's lease has not expired, so exactly one process at a time holds it."""

    def acquire(self, name: str, holder: str, *, now_ms: int, ttl_ms: int) -> bool: ...
    def release(self, name: str, holder: str) -> None: ...
    def holder(self, name: str, *, now_ms: int) -> str | None: ...


class TrialRegistry(Protocol):
    """Living-lab trials as JSON bodies by ``trial_id`` (:mod:`.trials`); ``create`` raises ``Conflict``."""

    def create(self, body: dict[str, Any]) -> None: ...
    def get(self, trial_id: str) -> dict[str, Any] | None: ...
    def list(self, *, public_only: bool = False) -> list[dict[str, Any]]: ...
    def replace(self, body: dict[str, Any]) -> bool: ...
    def delete(self, trial_id: str) -> bool: ...


class WeatherRegistry(Protocol):
    """Hourly weather rows ``(hour_s, wind_speed_ms, wind_dir_deg, precip_mm, temp_c, station)``."""

    def upsert(self, rows: Iterable[tuple[Any, ...]]) -> int: ...
    def hours(self, start_s: int, end_s: int) -> list[tuple[Any, ...]]: ...
    def count(self, start_s: int, end_s: int) -> int: ...


class Registry(SensorRegistry, DeadLetterRegistry, Protocol):
    """Everything beside the time series that several processes share. The roles are read-only members, so
    an implementation may hold them as plain attributes of its own (narrower) classes."""

    @property
    def keys(self) -> KeyRegistry: ...
    @property
    def profiles(self) -> TargetRegistry: ...
    @property
    def status(self) -> StatusRegistry: ...
    @property
    def history(self) -> HistoryRegistry: ...
    @property
    def alerts(self) -> AlertRegistry: ...
    @property
    def leases(self) -> LeaseRegistry: ...
    @property
    def trials(self) -> TrialRegistry: ...
    @property
    def weather(self) -> WeatherRegistry: ...
    @property
    def ownership(self) -> OwnershipRegistry: ...
    @property
    def provenance(self) -> ProvenanceRegistry: ...
    @property
    def lorawan_applications(self) -> LorawanApplicationRegistry: ...
    @property
    def audit(self) -> AuditRegistry: ...
    @property
    def deadletters(self) -> DeadLetterStore: ...

    def ping(self) -> None: ...
    def close(self) -> None: ...
