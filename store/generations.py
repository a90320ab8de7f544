"""Exact InfluxDB rollups under concurrent writers: hour generations and recomputation from raw readings.

InfluxDB has no transactions, so two collectors that write the same sensor-hour at once (an MQTT 5 shared
subscription spreads one sensor's messages over every collector) can both read the stored rollup, both add
their own new readings, and the second write loses the first one's seconds. Measured before this module:
220-240 of 3 600 s lost per hour with two collectors, LAeq off by up to 0.41 dB. SQLite does not need any of
this: its writes are ``BEGIN IMMEDIATE`` transactions.

The scheme (stored in :data:`noiselab.store.influx.GENERATIONS` points and a ``src_gen`` field on every
``rollups_1h`` point):

1. ``InfluxStore.write`` stores the new readings and merges them into the rollups as before, but marks the
   merged points *provisional* (``src_gen=""``), and updates the events. Then, in a last request made only
   after all of that is written, it writes a fresh random token as the hour's generation (``rollup_gen`` @
   hour start). Everything a writer derives must be written *before* its stamp: that order is the proof.
2. An hour is **clean** when its rollup's ``src_gen`` equals its current generation, **dirty** otherwise.
3. :func:`recompute` reads an hour's generation *g*, then reads the hour's raw readings, rolls them up
   (the same :func:`noiselab.store.hourly.rollup_columns` as every write), and writes the rollup with
   ``src_gen=g``, together with the hour's minute points recomputed the same way and, where the store keeps
   pass-by events (:mod:`noiselab.store.influx_events`), the events its loud readings belong to,
   recomputed from the raw loud readings around them.

Why a stale recompute never wins: the rollup can only be clean if the last rollup written was computed at
the generation that is current now. Every writer stamps a new generation *after* its readings are durable,
so a reading missing from a recompute's raw read belongs to a write whose stamp came after that recompute
read *g*, and the generation is no longer *g*: the hour stays dirty. A provisional merge written after a
recompute sets ``src_gen=""``: dirty again. Whatever order recomputes, merges and stamps land in, the last
rollup is either exact or the hour is dirty; recomputes are idempotent, so several processes may run them at
once (wasted work, never a wrong result). A reading and its stamp are separate requests: a writer killed
between them has not acknowledged the message, the broker redelivers it, and the redelivery finds the
readings stored (duplicates, no merge). So a write stamps the hours of its duplicates too (one small
request), and the hour becomes dirty and is recomputed.

Who recomputes: the collector calls ``store.reconcile(start_ms, end_ms)`` over the hours it wrote, every
``reconcile_every_s`` and when it stops; ``InfluxStore.reconcile`` can be called by anything else (one
writer is enough; more are safe). Until then a concurrently written hour may be provisional by a few
seconds of data; with a single writer the provisional value is already exact.

Extending it (anything else derived from raw readings): write it in ``InfluxStore.write`` before the
stamp, recompute it in :func:`recompute` after reading the generations (from the raw columns there, or its
own raw read), and write it in the same request as the hour's rollup, as the minute points and the events
are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from noiselab.store import influx_events, minutes
from noiselab.store.base import HOUR_S
from noiselab.store.hourly import merged_rows, rollup_columns
from noiselab.store.influx import (
    GENERATIONS,
    MINUTES,
    ROLLUPS,
    _fields,
    _quote,
    _rollup_line,
    _series,
    _tag,
    _time_range,
)
from noiselab.store.passbys import thresholds

if TYPE_CHECKING:
    from noiselab.store.influx import InfluxStore

Hour = tuple[str, int]  # (sensor_id, hour start in UTC epoch seconds)


def _by_sensor(hours: Sequence[Hour]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for sid, h in hours:
        out.setdefault(sid, []).append(h)
    return {s: sorted(set(hs)) for s, hs in out.items()}


def generations(store: InfluxStore, hours: Sequence[Hour]) -> dict[Hour, str]:
    """The current generation of each hour (hours never stamped are left out)."""
    statements, about = [], []
    for sid, hs in _by_sensor(hours).items():
        statements.append(
            f"SELECT gen FROM {GENERATIONS} WHERE sensor_id = {_quote(sid)}"
            f" AND {_time_range(hs[0] * 1000, hs[-1] * 1000, closed=True)}"
        )
        about.append(sid)
    wanted = set(hours)
    out: dict[Hour, str] = {}
    for sid, result in zip(about, store._query(";".join(statements)) if statements else [], strict=True):
        for _, values in _series(result):
            out.update({(sid, int(t) // 1000): g for t, g in values if (sid, int(t) // 1000) in wanted})
    return out


def dirty_hours(store: InfluxStore, start_ms: int, end_ms: int) -> list[Hour]:
    """Hours starting in [start_ms, end_ms) whose rollup is not at their current generation."""
    if end_ms <= start_ms:
        return []
    where = _time_range(start_ms, end_ms)
    gens, rollups = store._query(
        f"SELECT gen FROM {GENERATIONS} WHERE {where} GROUP BY sensor_id;"
        f"SELECT src_gen FROM {ROLLUPS} WHERE {where} GROUP BY sensor_id"
    )

    def keyed(result: dict[str, object]) -> dict[Hour, str]:
        out: dict[Hour, str] = {}
        for s in result.get("series", []):  # type: ignore[attr-defined]
            sid = s["tags"]["sensor_id"]
            out.update({(sid, int(t) // 1000): v or "" for t, v in s["values"]})
        return out

    if "error" in gens or "error" in rollups:
        list(_series(gens))  # raises StoreUnavailable with the message
        list(_series(rollups))
    current, computed = keyed(gens), keyed(rollups)
    return sorted(h for h, g in current.items() if computed.get(h) != g)


def recompute(store: InfluxStore, hours: Sequence[Hour]) -> int:
    """Recompute the rollup and minute points of ``hours`` from raw readings at their current generation.

    Hours without raw readings (deleted by retention, or never written) are left alone: their rollups are
    all that is left. Returns the number of hours rewritten.
    """
    gens = generations(store, hours)  # read *before* the raw readings: the order is the guarantee
    lines: list[str] = []
    done = 0
    events = influx_events.kept(store)
    lowest = thresholds(store.event_params)[0] if events else 0.0
    for sid, h in sorted(set(hours)):
        cols = store.read(sid, h * 1000, (h + HOUR_S) * 1000)
        if not len(cols):
            continue
        sensor = np.zeros(len(cols), dtype=np.int64)
        batch = rollup_columns([sid], sensor, cols.start_ms, cols.interval_s, cols.laeq, cols.lafmax,
                               cols.lcpeak)  # fmt: skip
        lines += [_rollup_line(row, gens.get((sid, h), "")) for row in merged_rows(batch, [])]
        sums = minutes.minute_sums(sensor, cols.start_ms, cols.interval_s, cols.laeq, cols.lafmax,
                                   cols.lcpeak)  # fmt: skip
        tag = f"{MINUTES},sensor_id={_tag(sid)}"
        lines += [
            f"{tag} {_fields(energy=e, seconds=sec, lafmax=fm, lcpeak=cp)} {m * 1000}"
            for _, m, e, sec, fm, cp in minutes.merged(sums, {})
        ]
        loud_ms = cols.start_ms[cols.laeq >= lowest]
        if events and loud_ms.size:
            lines += influx_events._sensor_lines(store, sid, loud_ms, store.event_params)
        done += 1
    if lines:
        store._write_lines(lines)
    return done


def reconcile(store: InfluxStore, start_ms: int, end_ms: int) -> int:
    """:func:`recompute` every dirty hour starting in [start_ms, end_ms); returns how many."""
    dirty = dirty_hours(store, start_ms, end_ms)
    return recompute(store, dirty) if dirty else 0
