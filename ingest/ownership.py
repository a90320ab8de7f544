"""Vendor ownership of sensors, on every route (SPEC §12), and where each batch came from.

A reading is kept only when its sensor belongs to the vendor that sent it: the vendor of the MQTT topic
(``noise/{vendor}/...``; the broker's ACL makes it the MQTT user), of the HTTP key, or, for LoRaWAN
uplinks that name no vendor (ChirpStack, The Things Stack), the vendor an admin mapped their application
to (``registry.lorawan_applications``). A sensor nobody has registered yet is claimed atomically by the
first vendor that writes it (:class:`Ownership.claim` in the registry). A sensor registered without a
vendor (an admin's, or one auto-registered from an unmapped LoRaWAN application) is nobody's: a vendor
cannot take it by writing. Input that names no vendor (an unmapped LoRaWAN application, SensorThings
topics) is not checked, as before; those sensors are registered without a vendor.

Owners read from the registry are cached per process for ``ttl_s`` (an admin's reassignment takes effect
within that time); only owners the registry confirmed are cached. Application mappings (and the absence of
one) are cached for the same time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from noiselab.domain.errors import InvalidReading
from noiselab.store.registry import Registry
from noiselab.store.registry.provenance import BatchOrigin

if TYPE_CHECKING:
    from noiselab.ingest.pipeline import Outcome

NOT_YOURS = "not_your_sensor"


def item_positions(out: Outcome) -> list[int]:
    """Each decoded reading's position in the body: items give one reading or one refusal each."""
    refused = {e.index for e in out.refused if e.index is not None}
    positions, k = [], 0
    for _ in out.readings:
        while k in refused:
            k += 1
        positions.append(k)
        k += 1
    return positions


def refuse_foreign(out: Outcome, owners: dict[str, str | None]) -> None:
    """Move readings of sensors not owned by ``out.vendor`` to the refusals (``not_your_sensor``)."""
    if out.vendor is None or all(owners.get(r.sensor_id) == out.vendor for r in out.readings):
        return
    kept = []
    for r, position in zip(out.readings, item_positions(out), strict=True):
        if owners.get(r.sensor_id) == out.vendor:
            kept.append(r)
            continue
        owner = owners.get(r.sensor_id)
        whose = "to no vendor" if owner is None else "to another vendor"
        detail = (
            f"sensor {r.sensor_id!r} is registered {whose}, not to {out.vendor!r}; use your own sensor ids, "
            "or ask an admin to assign it"
        )
        out.refused.append(InvalidReading(NOT_YOURS, detail, index=position))
    out.readings = kept
    out.refused.sort(key=lambda e: -1 if e.index is None else e.index)


@dataclass
class Owners:
    """The per-process owner cache over the registry's atomic claim."""

    registry: Registry
    clock: Callable[[], float]
    ttl_s: float = 30.0

    def __post_init__(self) -> None:
        self._owners: dict[str, str | None] = {}
        self._apps: dict[str, str | None] = {}  # LoRaWAN application -> vendor (None: not mapped)
        self._at = self.clock()

    def _fresh(self) -> None:
        if self.clock() - self._at > self.ttl_s:
            self._owners.clear()
            self._apps.clear()
            self._at = self.clock()

    def attribute(self, outcomes: Sequence[Outcome]) -> None:
        """Name the vendor of LoRaWAN uplinks whose application an admin mapped to one (their credential
        becomes ``lorawan-application:<id>``); outcomes that already name a vendor keep it."""
        apps = {o.application for o in outcomes if o.vendor is None and o.application is not None}
        unknown = {a for a in apps if a not in self._apps}
        if unknown:
            # an exact id, else (The Things Stack, multi-tenant) the id before "@tenant"
            keys = unknown | {a.split("@", 1)[0] for a in unknown}
            found = self.registry.lorawan_applications.vendors(keys)
            for a in unknown:
                self._apps[a] = found.get(a, found.get(a.split("@", 1)[0]))
        for o in outcomes:
            if o.vendor is None and o.application is not None:
                vendor = self._apps.get(o.application)
                if vendor is not None:
                    o.vendor = vendor
                    o.credential = o.credential or f"lorawan-application:{o.application}"

    def enforce(self, outcomes: Sequence[Outcome], *, claim: bool = True) -> None:
        """Name the vendor of mapped LoRaWAN applications, claim the new sensors of each vendor (or, with
        ``claim=False``, only look owners up, as a dry run would), then refuse readings of sensors another
        vendor (or none) owns."""
        self._fresh()
        self.attribute(outcomes)
        wanted: dict[str, set[str]] = {}
        for o in outcomes:
            if o.vendor is not None and o.readings:
                unknown = {r.sensor_id for r in o.readings} - self._owners.keys()
                if unknown:
                    wanted.setdefault(o.vendor, set()).update(unknown)
        if not claim:
            owners = dict(self._owners)
            for vendor, ids in wanted.items():
                found = self.registry.ownership.owners(ids)
                owners.update({sid: found.get(sid, vendor) for sid in ids})
            for o in outcomes:
                refuse_foreign(o, owners)
            return
        for vendor, ids in sorted(wanted.items()):
            self._owners.update(self.registry.ownership.claim(ids, vendor))
        for o in outcomes:
            refuse_foreign(o, self._owners)


def credential_of(out: Outcome) -> tuple[str, str]:
    """(route, credential) of an outcome: HTTP keys and mapped LoRaWAN applications set theirs; MQTT is
    named by the topic's vendor (the MQTT user, by the broker's ACL) or, for formats without a vendor in the
    topic, by the format of the topic."""
    if out.credential is not None:
        return out.route, out.credential
    if out.message.topic is None:
        return "http", "unknown"
    if out.vendor is not None:
        return "mqtt", f"mqtt-user:{out.vendor}"
    return "mqtt", f"mqtt-topic:{out.source}"


def origins(outcomes: Sequence[Outcome], received_ms: int) -> list[BatchOrigin]:
    """One provenance record per (sensor, route, credential, format, topic) of the batch's kept readings."""
    acc: dict[tuple[str, str, str, str, str], list[int]] = {}

    def add(key: tuple[str, str, str, str, str], n: int, lo: int, hi: int) -> None:
        entry = acc.get(key)
        if entry is None:
            acc[key] = [n, lo, hi]
        else:
            entry[0], entry[1], entry[2] = entry[0] + n, min(entry[1], lo), max(entry[2], hi)

    for o in outcomes:
        if not o.readings:
            continue
        route, credential = credential_of(o)
        topic = o.message.topic or ""
        first = o.readings[0].sensor_id
        if all(r.sensor_id == first for r in o.readings):  # the usual message: one sensor
            starts = [r.start_ms for r in o.readings]
            add((first, route, credential, o.source, topic), len(starts), min(starts), max(starts))
            continue
        for r in o.readings:
            add((r.sensor_id, route, credential, o.source, topic), 1, r.start_ms, r.start_ms)
    return [
        BatchOrigin(sid, route, cred, source, topic, n, lo, hi, received_ms)
        for (sid, route, cred, source, topic), (n, lo, hi) in acc.items()
    ]
