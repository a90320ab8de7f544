"""InfluxStore: readings and hourly rollups in InfluxDB 2.7 / 3.x (and, in the tests, 1.6 behind a shim).

Writes go through influxdb-client (synchronous ``WriteApi``, line protocol to ``/api/v2/write``); reads are
InfluxQL over ``/query`` (``db`` = the bucket), which InfluxDB 2.7 and 3.x both serve. Layout::

    readings,sensor_id=<id>   laeq,lafmax,lafmin,lcpeak,interval_s (float), source (string)   @ start
    rollups_1h,sensor_id=<id> energy,seconds,lafmax,lcpeak (float), hist ("2:" + base64),
                              src_gen (string: the generation it was recomputed at, "" = provisional)
    rollup_gen,sensor_id=<id> gen (string, a random token per write)                        @ hour start
    rollups_1m,sensor_id=<id> energy,seconds,lafmax,lcpeak (float)                            @ minute start
    noiselab_retention        cutoff_ms (integer)                                             @ apply time

Idempotency: InfluxDB overwrites a point with the same measurement, tags and timestamp, so a blind re-send
would rewrite the reading (harmless) but count twice in a rollup. Each write therefore first asks, per sensor,
which start times of the batch already exist (and reads the stored rollups of the affected hours in the same
request), drops those readings (first version wins, as in SQLite), and writes the new readings together with
the merged rollup points in one request. Several writers at once (collectors on a shared subscription)
can race on that merge, so the merged points are *provisional*: after the readings are durable the write
stamps each affected hour with a new generation token, and :meth:`InfluxStore.reconcile` recomputes every
hour whose rollup was not computed at its current generation from the raw readings
(:mod:`noiselab.store.generations` explains why a stale recompute never wins). With one writer the
provisional points are already exact.

Errors: every library or HTTP failure becomes :class:`noiselab.domain.errors.StoreUnavailable`
(``raise ... from``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from noiselab.domain.errors import ConfigError, StoreUnavailable
from noiselab.domain.readings import Reading
from noiselab.processing.events import DEFAULT_EVENTS, EventParams, Events
from noiselab.processing.rollups import Rollups
from noiselab.store import influx_events, minutes
from noiselab.store.base import HOUR_S, LevelBuckets, ReadingBatch, ReadingColumns, WriteResult
from noiselab.store.hourly import (
    HourRow,
    affected_hours,
    hist_from_text,
    hist_to_text,
    rollups_from_rows,
    updated_rows,
)

if TYPE_CHECKING:
    from noiselab.domain.settings import Settings

READINGS = "readings"
ROLLUPS = "rollups_1h"
MINUTES = "rollups_1m"  # energy, seconds, lafmax, lcpeak per sensor and UTC minute (store.minutes)
RETENTION = "noiselab_retention"
GENERATIONS = "rollup_gen"  # per sensor and hour: the token of the last write (store.generations)
_MAX_MS = 9_223_372_036_853  # InfluxDB timestamps are int64 nanoseconds
_CLUSTER_GAP_MS = HOUR_S * 1000  # a batch's readings further apart than this are looked up separately
_ERRORS = (ApiException, urllib3.exceptions.HTTPError, OSError, ValueError)


def http_url(url: str) -> str:
    """``influxdb://host:port`` -> ``http://host:port``; ``influxdbs://`` -> ``https://``."""
    for scheme, http in (("influxdbs://", "https://"), ("influxdb://", "http://")):
        if url.startswith(scheme):
            return http + url.removeprefix(scheme).rstrip("/")
    raise ConfigError(f"not an InfluxDB URL (influxdb:// or influxdbs://): {url!r}")


def _tag(value: str) -> str:
    """A tag value for line protocol: backslash, comma, equals and space escaped. Line protocol has no
    escape for a line break, so one would split the line and lose the whole batch: refuse it here
    (sensor ids are validated long before; this is the last guard)."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"a line break cannot go into a line-protocol tag: {value[:80]!r}")
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _quote(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fields(**values: float | str | None) -> str:
    parts = []
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, str):
            # a string field is quoted: backslash and double quote escaped; line breaks would end the line
            text = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
            parts.append(f'{k}="{text}"')
        else:
            parts.append(f"{k}={float(v)!r}")
    return ",".join(parts)


def _reading_line(r: Reading) -> str:
    fields = _fields(
        laeq=r.laeq,
        lafmax=r.lafmax,
        lafmin=r.lafmin,
        lcpeak=r.lcpeak,
        interval_s=r.interval_s,
        source=r.source,
    )
    return f"{READINGS},sensor_id={_tag(r.sensor_id)} {fields} {r.start_ms}"


def _rollup_line(h: HourRow, src_gen: str = "") -> str:
    """A rollup point; ``src_gen`` is the generation it was recomputed at ("" = provisional, a merge)."""
    hist = hist_to_text(h.hist)
    fields = _fields(
        energy=h.energy, seconds=h.seconds, lafmax=h.lafmax, lcpeak=h.lcpeak, hist=hist, src_gen=src_gen
    )
    return f"{ROLLUPS},sensor_id={_tag(h.sensor_id)} {fields} {h.hour_s * 1000}"


def _clusters(times_ms: list[int]) -> list[tuple[int, int]]:
    """Sorted times -> [(first, last)] runs without gaps longer than an hour (one lookup query each)."""
    out: list[tuple[int, int]] = []
    for t in times_ms:
        if out and t - out[-1][1] <= _CLUSTER_GAP_MS:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return out


def _time_range(lo_ms: int, hi_ms: int, *, closed: bool = False) -> str:
    lo, hi = max(lo_ms, -_MAX_MS), min(hi_ms, _MAX_MS)
    return f"time >= {lo}ms AND time {'<=' if closed else '<'} {hi}ms"


def _series(result: dict[str, Any]) -> Iterator[tuple[list[str], list[list[Any]]]]:
    if "error" in result:
        raise StoreUnavailable(f"InfluxDB query failed: {result['error']}")
    for s in result.get("series", []):
        yield s["columns"], s["values"]


class InfluxStore:
    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        org: str = "noiselab",
        bucket: str = "noise",
        raw_retention_days: int = 0,
        timeout_s: float = 30.0,
        event_params: EventParams = DEFAULT_EVENTS,
    ) -> None:
        self.event_params = event_params  # pass-by events kept at write time (store.influx_events)
        self._events_kept: bool | None = None
        self.url = http_url(url)
        self.org = org
        self.bucket = bucket
        self.raw_retention_days = raw_retention_days
        # token=None: no Authorization header at all (an InfluxDB without authentication, as in the tests)
        self._client = InfluxDBClient(
            url=self.url,
            token=token or None,  # type: ignore[arg-type]  # annotated str, but None is accepted
            org=org,
            timeout=int(timeout_s * 1000),
        )
        self._writer = self._client.write_api(write_options=SYNCHRONOUS)
        headers = {"Authorization": f"Token {token}"} if token else {}
        self._http = urllib3.PoolManager(
            headers=headers, retries=False, timeout=urllib3.Timeout(connect=5.0, read=timeout_s)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> InfluxStore:
        return cls(
            settings.effective_store_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            bucket=settings.influx_bucket,
            raw_retention_days=settings.raw_retention_days,
            event_params=settings.event_params,
        )

    # --- HTTP ---------------------------------------------------------------------------------------
    def _request(self, q: str, *, chunk_size: int | None = None) -> urllib3.BaseHTTPResponse:
        fields = {"db": self.bucket, "q": q, "epoch": "ms"}
        if chunk_size:
            fields |= {"chunked": "true", "chunk_size": str(chunk_size)}
        try:
            resp = self._http.request(
                "POST", self.url + "/query", fields=fields, encode_multipart=False, preload_content=False
            )
        except _ERRORS as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} is unreachable: {exc}") from exc
        if resp.status >= 300:
            body = resp.read(2000).decode("utf-8", "replace")
            resp.release_conn()
            raise StoreUnavailable(f"InfluxDB query failed with HTTP {resp.status}: {body}")
        return resp

    def _query(self, q: str) -> list[dict[str, Any]]:
        """Run InfluxQL (one or several ``;``-separated statements); one result dict per statement."""
        resp = self._request(q)
        try:
            results: list[dict[str, Any]] = json.loads(resp.read())["results"]
        except (*_ERRORS, KeyError) as exc:
            raise StoreUnavailable(f"InfluxDB query failed: {exc}") from exc
        finally:
            resp.release_conn()
        return results

    def _rows(self, q: str) -> Iterator[tuple[list[str], list[list[Any]]]]:
        """Stream the (columns, values) chunks of one big SELECT (InfluxQL chunked responses)."""
        resp = self._request(q, chunk_size=50_000)
        try:
            for line in resp:
                if line.strip():
                    for result in json.loads(line)["results"]:
                        yield from _series(result)
        except (*_ERRORS, KeyError) as exc:
            raise StoreUnavailable(f"InfluxDB read failed: {exc}") from exc
        finally:
            resp.release_conn()

    def _write_lines(self, lines: list[str]) -> None:
        try:
            body = "\n".join(lines)
            # WritePrecision.MS is "ms"; the library annotates the parameter with its enum-like class
            self._writer.write(self.bucket, self.org, body, write_precision="ms")  # type: ignore[arg-type]
        except _ERRORS as exc:
            raise StoreUnavailable(f"InfluxDB write to {self.url} failed: {exc}") from exc

    # --- writes -------------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading]) -> WriteResult:
        if not readings:
            return WriteResult(0, 0)
        influx_events.kept(self)  # once per process, before any reading lands (records them if empty)
        first: dict[tuple[str, int], Reading] = {}
        for r in readings:
            first.setdefault((r.sensor_id, r.start_ms), r)
        by_sensor: dict[str, list[int]] = {}
        for sid, t in first:
            by_sensor.setdefault(sid, []).append(t)
        statements = [f"SELECT max(cutoff_ms) FROM {RETENTION}"]
        sensors = [""]  # the sensor each statement is about
        for sid, times in by_sensor.items():
            where = f"sensor_id = {_quote(sid)}"
            for lo, hi in _clusters(sorted(times)):
                hour_ms = HOUR_S * 1000
                statements.append(
                    f"SELECT laeq FROM {READINGS} WHERE {where} AND {_time_range(lo, hi, closed=True)}"
                )
                statements.append(
                    f"SELECT energy, seconds, lafmax, lcpeak, hist FROM {ROLLUPS} WHERE {where}"
                    f" AND {_time_range(lo // hour_ms * hour_ms, hi // hour_ms * hour_ms, closed=True)}"
                )
                sensors += [sid, sid]
        results = self._query(";".join(statements))
        cutoff_ms = next((values[0][1] for _, values in _series(results[0])), None)
        existing: set[tuple[str, int]] = set()
        stored: dict[tuple[str, int], HourRow] = {}
        for sid, result in zip(sensors[1:], results[1:], strict=True):
            for columns, values in _series(result):
                if columns[1] == "laeq":
                    existing.update((sid, int(v[0])) for v in values)
                    continue
                for t, energy, seconds, lafmax, lcpeak, hist in values:
                    row = HourRow(sid, int(t) // 1000, energy, seconds, lafmax, lcpeak, hist_from_text(hist))
                    stored[(sid, row.hour_s)] = row
        new = [r for key, r in first.items() if key not in existing]
        expired = 0
        if cutoff_ms is not None:
            kept = [r for r in new if r.start_ms >= cutoff_ms]
            expired = sum(1 for r in readings if r.start_ms < cutoff_ms)
            new = kept
        if new:
            hours = affected_hours(new)
            relevant = [stored[(s, h)] for s, hs in hours.items() for h in hs if (s, h) in stored]
            lines = [_reading_line(r) for r in new]
            lines += [_rollup_line(h) for h in updated_rows(new, relevant)]
            lines += self._minute_lines(new)
            self._write_lines(lines)
        if new:
            influx_events.update(self, new)  # the pass-by events the new loud readings can change
        # only now, with readings, rollups and events written: a new generation for every hour touched,
        # duplicates' hours included (a redelivery after a writer died mid-way), see store.generations
        touched = [r for key, r in first.items() if cutoff_ms is None or r.start_ms >= cutoff_ms]
        if touched:
            token = secrets.token_hex(8)
            self._write_lines(
                [
                    f'{GENERATIONS},sensor_id={_tag(s)} gen="{token}" {h * 1000}'
                    for s, hs in affected_hours(touched).items()
                    for h in hs
                ]
            )
        return WriteResult(stored=len(new), duplicates=len(readings) - len(new) - expired, expired=expired)

    def events(self, sensor_id: str, start_ms: int, end_ms: int, params: EventParams) -> Events | None:
        """Kept events that start in [start_ms, end_ms), or None for parameters not kept (see
        :mod:`store.influx_events`)."""
        return influx_events.read(self, sensor_id, start_ms, end_ms, params)

    def _minute_lines(self, new: Sequence[Reading]) -> list[str]:
        """Minute rollup points after ``new``: the stored points of their minutes plus the new sums."""
        batch = ReadingBatch.from_readings(new)
        sums = minutes.minute_sums(batch.sensor, batch.start_ms, batch.interval_s, batch.laeq, batch.lafmax,
                                   batch.lcpeak)  # fmt: skip
        statements, about = [], []
        for i, sid in enumerate(batch.sensor_ids):
            for lo, hi in _clusters(sorted((sums.minute_s[sums.sensor == i] * 1000).tolist())):
                statements.append(
                    f"SELECT energy, seconds, lafmax, lcpeak FROM {MINUTES} WHERE sensor_id = {_quote(sid)}"
                    f" AND {_time_range(lo, hi, closed=True)}"
                )
                about.append(i)
        stored: dict[tuple[int, int], tuple[float, float, float | None, float | None]] = {}
        for i, result in zip(about, self._query(";".join(statements)) if statements else [], strict=True):
            for _, values in _series(result):
                stored.update({(i, int(t) // 1000): (e, sec, fm, cp) for t, e, sec, fm, cp in values})
        merged = minutes.merged(sums, stored)
        return [
            f"{MINUTES},sensor_id={_tag(batch.sensor_ids[i])} "
            f"{_fields(energy=e, seconds=sec, lafmax=fm, lcpeak=cp)} {m * 1000}"
            for i, m, e, sec, fm, cp in merged
        ]

    def reconcile(self, start_ms: int, end_ms: int) -> int:
        """Recompute from raw readings every hour starting in [start_ms, end_ms) whose rollup is not at its
        current generation; returns how many were recomputed (see :mod:`noiselab.store.generations`)."""
        from noiselab.store import generations  # it builds on this module

        return generations.reconcile(self, start_ms, end_ms)

    def apply_retention(self, now_s: float) -> None:
        if self.raw_retention_days <= 0:
            return
        cutoff_ms = int((now_s - self.raw_retention_days * 86400) * 1000)
        self._write_lines([f"{RETENTION} cutoff_ms={cutoff_ms}i {int(now_s * 1000)}"])
        stop = datetime.fromtimestamp(cutoff_ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
        try:
            self._client.delete_api().delete(
                "1970-01-01T00:00:00Z", stop, f'_measurement="{READINGS}"', bucket=self.bucket, org=self.org
            )
        except _ERRORS as exc:
            raise StoreUnavailable(f"InfluxDB delete on {self.url} failed: {exc}") from exc

    # --- reads --------------------------------------------------------------------------------------
    def latest(self, sensor_id: str) -> Reading | None:
        q = (
            f"SELECT interval_s, laeq, lafmax, lafmin, lcpeak, source FROM {READINGS}"
            f" WHERE sensor_id = {_quote(sensor_id)} ORDER BY time DESC LIMIT 1"
        )
        for _, values in _series(self._query(q)[0]):
            t, interval_s, laeq, lafmax, lafmin, lcpeak, source = values[0]

            def opt(v: float | None) -> float | None:
                return None if v is None else float(v)

            return Reading(
                sensor_id, int(t), float(interval_s), float(laeq), opt(lafmax), opt(lafmin), opt(lcpeak),
                source or "native",
            )  # fmt: skip
        return None

    def read(
        self,
        sensor_id: str,
        start_ms: int,
        end_ms: int,
        *,
        limit: int | None = None,
        min_laeq_db: float | None = None,
    ) -> ReadingColumns:
        if end_ms <= start_ms:
            return ReadingColumns.empty()
        loud = "" if min_laeq_db is None else f" AND laeq > {float(min_laeq_db)!r}"
        q = (
            f"SELECT interval_s, laeq, lafmax, lafmin, lcpeak FROM {READINGS}"
            f" WHERE sensor_id = {_quote(sensor_id)}{loud} AND {_time_range(start_ms, end_ms)}"
            " ORDER BY time ASC"
        )
        if limit is not None:
            q += f" LIMIT {int(limit)}"
        chunks = [np.array(values, dtype=np.float64) for _, values in self._rows(q)]  # null -> nan
        if not chunks:
            return ReadingColumns.empty()
        arr = np.concatenate(chunks)
        return ReadingColumns.from_rows(arr)

    def rollups(self, sensor_id: str, start_ms: int, end_ms: int) -> Rollups:
        if end_ms <= start_ms:
            return Rollups.empty(bucket_s=HOUR_S)
        q = (
            f"SELECT energy, seconds, lafmax, lcpeak, hist FROM {ROLLUPS}"
            f" WHERE sensor_id = {_quote(sensor_id)} AND {_time_range(start_ms, end_ms)} ORDER BY time ASC"
        )
        rows = [
            HourRow(sensor_id, int(t) // 1000, energy, seconds, lafmax, lcpeak, hist_from_text(hist))
            for _, values in self._rows(q)
            for t, energy, seconds, lafmax, lcpeak, hist in values
        ]
        return rollups_from_rows(rows)

    def minute_levels(
        self, sensor_id: str, start_ms: int, end_ms: int, *, bucket_s: int = 60
    ) -> LevelBuckets:
        if bucket_s <= 0 or bucket_s % 60:
            raise ValueError(f"bucket_s must be a positive multiple of 60, got {bucket_s}")
        lo, hi = -(-start_ms // 1000) * 1000, -(-end_ms // 1000) * 1000
        rows: list[list[Any]] = []
        if hi > lo:
            q = (
                f"SELECT SUM(energy), SUM(seconds), MAX(lafmax), MAX(lcpeak) FROM {MINUTES}"
                f" WHERE sensor_id = {_quote(sensor_id)} AND {_time_range(lo, hi)}"
                f" GROUP BY time({bucket_s}s) fill(none)"
            )
            rows = [v for _, values in self._rows(q) for v in values]
        if not rows:
            e = np.zeros(0)
            return LevelBuckets(np.zeros(0, dtype=np.int64), e, e, e, e, bucket_s)
        arr = np.array(rows, dtype=np.float64)  # null -> nan
        return LevelBuckets(
            (arr[:, 0] // 1000).astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], bucket_s
        )

    def sensor_ids(self) -> list[str]:
        result = self._query(f'SHOW TAG VALUES FROM {ROLLUPS} WITH KEY = "sensor_id"')[0]
        return sorted(v[1] for _, values in _series(result) for v in values)

    def ping(self) -> None:
        try:
            resp = self._http.request("GET", self.url + "/ping")
        except _ERRORS as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} is unreachable: {exc}") from exc
        if resp.status >= 300:
            raise StoreUnavailable(f"InfluxDB at {self.url} answered HTTP {resp.status} to /ping")

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]  # the library's close() has no annotations
        self._http.clear()
