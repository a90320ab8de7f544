"""Hostile input: generated and mutated payloads through every decoder, and through the HTTP ingest routes.

Decoders: a crash is any exception other than ``InvalidReading`` / ``UnknownFormat``, or a reading
that breaks the contract (level outside 15–145 dB or not finite, start more than 10 min after the
receive time, bad sensor id). Every refusal is counted by reason; a reason not in ``REASONS`` is a
finding too. HTTP: a crash is any 5xx or an exception out of the app; answers are counted by status
and reason.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import random
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from faults.mutate import Case, hostile_specials, load_seeds, make_case
from noiselab.api.csv import FORMULA_STARTS, safe_cell
from noiselab.domain.errors import InvalidReading, UnknownFormat
from noiselab.domain.readings import MAX_DB, MAX_FUTURE_S, MIN_DB, OLDEST_START_S, SENSOR_ID_RE
from noiselab.ingest.decoders import FORMATS, REASONS, UNKNOWN_FORMAT, Message, SensorRules, decode, route
from noiselab.store.influx import _reading_line

NOW_S = 1_781_136_000.0  # 2026-06-11T00:00:00Z: a fixed "now", so a seed gives the same run any day
EXTRA_REASONS = {UNKNOWN_FORMAT, "not_your_sensor", "unknown_topic"}  # given by the shells, not decoders


@dataclass
class FuzzResult:
    cases: int = 0
    readings: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    families: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    crash_count: int = 0
    seconds: float = 0.0

    def merge(self, other: FuzzResult) -> None:
        self.cases += other.cases
        self.readings += other.readings
        self.refusals.update(other.refusals)
        self.families.update(other.families)
        self.crashes.extend(other.crashes[: max(0, 20 - len(self.crashes))])
        self.crash_count += other.crash_count

    @property
    def unknown_reasons(self) -> set[str]:
        return set(self.refusals) - set(REASONS) - EXTRA_REASONS


def _contract_breach(case: Case, readings: list) -> str | None:  # type: ignore[type-arg]
    for r in readings:
        if not (math.isfinite(r.laeq) and MIN_DB <= r.laeq <= MAX_DB):
            return f"laeq {r.laeq!r} accepted"
        for name in ("lafmax", "lafmin", "lcpeak"):
            v = getattr(r, name)
            if v is not None and not (math.isfinite(v) and MIN_DB <= v <= MAX_DB):
                return f"{name} {v!r} accepted"
        if r.start_ms / 1000 > NOW_S + MAX_FUTURE_S:
            return f"start {r.start_ms} ms is more than {MAX_FUTURE_S} s in the future"
        if r.start_ms / 1000 < OLDEST_START_S:
            return f"start {r.start_ms} ms is before 2000-01-01 (too_old) and was accepted"
        if not SENSOR_ID_RE.fullmatch(r.sensor_id) or ".." in r.sensor_id:
            return f"sensor id {r.sensor_id!r} accepted"
        if _reading_line(r).count("\n") or str(safe_cell(r.sensor_id)).startswith(FORMULA_STARTS):
            return f"sensor id {r.sensor_id!r} breaks line protocol or a CSV cell"
        if not (math.isfinite(r.interval_s) and r.interval_s > 0):
            return f"interval_s {r.interval_s!r} accepted"
    return None


def check_case(case: Case, result: FuzzResult, rules: SensorRules) -> None:
    result.cases += 1
    result.families[case.family.split("+")[0]] += 1
    message = Message(topic=case.topic, headers=case.headers, body=case.body, received_s=NOW_S)
    try:
        decoded = decode(case.fmt, message, rules=rules)
    except InvalidReading as exc:
        result.refusals[exc.reason] += 1
        return
    except UnknownFormat:
        result.refusals[UNKNOWN_FORMAT] += 1
        return
    except Exception:  # the finding this fuzzer exists for
        result.crash_count += 1
        if len(result.crashes) < 20:
            result.crashes.append(f"{case.fmt} {case.topic!r} {case.body[:200]!r}\n{traceback.format_exc()}")
        return
    breach = _contract_breach(case, decoded.readings)
    if breach:
        result.crash_count += 1
        if len(result.crashes) < 20:
            result.crashes.append(f"contract: {breach}: {case.fmt} {case.body[:200]!r}")
    result.readings += len(decoded.readings)
    for refusal in decoded.refused:
        result.refusals[refusal.reason] += 1


# pieces of hostile sensor ids and topic levels (SPEC §4: letters, digits, '.', '_', '-'; first a letter or
# digit; no '..'; the whole string)
ID_PIECES = ["a", "Z9", "vb-1", ".", "..", "-", "_", "\n", "\r", "\x00", " ", "/", "+", "#", "$", "=",
             "@", ",", "\\", '"', "'", "é", "ø", "\u202e", "\ufeff", "x" * 63, "%2e",
             "=cmd|' /C calc'!A0"]  # fmt: skip
TOPIC_SHAPES = [
    "noise/{v}/{s}/levels", "noise/{v}/{s}/levels/{s}", "noise/{v}/{s}", "noise/{v}/levels",
    "noise//{s}/levels", "noise/{v}/{s}/LEVELS", "bridge/noise/{v}/{s}/levels", "{s}",
    "application/{v}/device/{s}/event/up",
    "v3/{v}@ttn/devices/{s}/up", "v1.1/Datastreams({s})/Observations", "$SYS/{s}", "noise/{v}/{s}/levels\n",
]  # fmt: skip


def hostile_id(rng: random.Random) -> str:
    if rng.random() < 0.25:  # some good ids, so the accepting path is exercised too
        return rng.choice(("a", "vb-1", "Z9.x_2", "x" * 64, "s-" + str(rng.randint(0, 999))))
    return "".join(rng.choice(ID_PIECES) for _ in range(rng.randint(1, 4)))[: rng.choice((8, 64, 65, 200))]


def check_topic_and_id(rng: random.Random, result: FuzzResult, rules: SensorRules) -> None:
    """A hostile topic (routed as the collector routes it) or a hostile ``sensor_id`` in an HTTP body:
    refused with a documented reason, or decoded to readings that keep every contract."""
    sid, vendor = hostile_id(rng), rng.choice(("acme", hostile_id(rng)))
    body = {"ts": NOW_S - rng.choice((60, 1e9, 2e9)), "laeq": 55.0}
    if rng.random() < 0.5:
        topic = rng.choice(TOPIC_SHAPES).format(v=vendor, s=sid)
        found = route(topic, ("", "bridge/"))
        if found is None:  # the collector dead-letters it as bad_topic / unknown_topic
            result.cases += 1
            result.families["topic"] += 1
            result.refusals["unknown_topic"] += 1
            return
        case = Case(found.format, found.topic, {}, json.dumps(body).encode(), "topic")
    else:
        case = Case("native", None, {}, json.dumps({**body, "sensor_id": sid}).encode(), "id")
    check_case(case, result, rules)


def _worker(args: tuple[int, int]) -> FuzzResult:
    seed, count = args
    rng = random.Random(seed)
    seeds = load_seeds()
    rules = SensorRules()
    result = FuzzResult()
    t0 = time.perf_counter()
    for i in range(count):
        if i % 10 == 9:  # one case in ten: hostile topics and sensor ids
            check_topic_and_id(rng, result, rules)
        else:
            check_case(make_case(rng, seeds, NOW_S), result, rules)
    result.seconds = time.perf_counter() - t0
    return result


def fuzz_decoders(total: int, *, seed: int = 9, workers: int = 2) -> FuzzResult:
    """``total`` generated/mutated payloads plus the hostile specials through every decoder."""
    result = FuzzResult()
    rules = SensorRules()
    for body in hostile_specials():
        for fmt in FORMATS:
            topic = {"native": "noise/acme/d-1/levels"}.get(fmt)
            check_case(Case(fmt, topic, {"x-sensor": "esp-1"}, body, "special"), result, rules)
    check_case(Case("no-such-format", None, {}, b"{}", "special"), result, rules)
    chunks = [(seed * 1000 + i, total // workers + (1 if i < total % workers else 0)) for i in range(workers)]
    t0 = time.perf_counter()
    if workers == 1:
        parts = [_worker(chunks[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_worker, chunks)
    for part in parts:
        result.merge(part)
    result.seconds = time.perf_counter() - t0
    return result


@dataclass
class HttpResult:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    stored: int = 0
    seconds: float = 0.0


def fuzz_http(total: int, *, seed: int = 9) -> HttpResult:
    """``total`` mutated bodies through ``POST /v1/readings`` and ``/v1/ingest/{format}`` (TestClient)."""
    from fastapi.testclient import TestClient

    from noiselab.api.app import create_app
    from noiselab.domain.settings import Settings
    from noiselab.store.registry import SqliteRegistry
    from noiselab.store.sqlite import SqliteStore

    rng = random.Random(seed)
    seeds = load_seeds()
    out = HttpResult()
    quiet = logging.getLogger("ingest")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # one warning per refused kind would flood; restored below
    now_s = time.time()  # the app checks "in the future" against the real clock
    with tempfile.TemporaryDirectory(prefix="noiselab-fuzz-") as tmp:
        settings = Settings(data_dir=Path(tmp), max_body_bytes=200_000)
        store, registry = SqliteStore(Path(tmp) / "noise.db"), SqliteRegistry(settings.registry_path)
        keys = registry.keys
        key = keys.create("vendor", vendor="acme")[1]
        app = create_app(settings, store, registry, keys=keys)
        app.state.settings = _NoRateLimit(settings)
        specials = [(fmt, body) for body in hostile_specials() for fmt in ("native", "ngsi")]
        t0 = time.perf_counter()
        with TestClient(app, raise_server_exceptions=True) as client:
            for i in range(total + len(specials)):
                if i < len(specials):
                    fmt, body, headers = specials[i][0], specials[i][1], {}
                else:
                    case = make_case(rng, seeds, now_s)
                    fmt, body, headers = case.fmt, case.body, dict(case.headers)
                    if fmt == "native" and rng.random() < 0.5:  # HTTP needs sensor_id in the body
                        body = body.replace(b"{", b'{"sensor_id": "fz-1", ', 1)
                url = "/v1/readings" if fmt == "native" else f"/v1/ingest/{fmt}"
                if rng.random() < 0.02:
                    url = "/v1/ingest/" + rng.choice(("nope", "NATIVE", "..%2f", "x" * 300))
                headers["x-api-key"] = key
                headers["content-type"] = "application/json"
                raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]  # sent as they are
                try:
                    resp = client.post(url, content=body, headers=raw_headers)
                except Exception:
                    out.crashes.append(f"{url} {body[:200]!r}\n{traceback.format_exc()}")
                    continue
                out.requests += 1
                out.statuses[resp.status_code] += 1
                if resp.status_code >= 500:
                    out.crashes.append(f"{resp.status_code} {url} {body[:200]!r}: {resp.text[:300]}")
                elif resp.status_code >= 400:
                    ctype = resp.headers.get("content-type", "")
                    reason = resp.json().get("reason", "-") if "json" in ctype else "-"
                    out.reasons[f"{resp.status_code}:{reason}"] += 1
                else:
                    answer = resp.json()
                    out.stored += answer["stored"]
                    for item in answer["refused"]:
                        out.reasons[f"item:{item['reason']}"] += 1
        out.seconds = time.perf_counter() - t0
        quiet.setLevel(level)
        store.close()
        registry.close()
    return out


class _NoRateLimit:
    """The app's settings with the rate limit off (this run is one client sending as fast as it can)."""

    def __init__(self, settings: object) -> None:
        self._settings = settings

    def __getattr__(self, name: str) -> object:
        return False if name == "rate_limit_enabled" else getattr(self._settings, name)
