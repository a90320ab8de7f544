"""``python -m faults [RUN ...] [--quick] [--out FILE]``: the fault, hostile-input and load suite.

Runs (default: all but ``load``): sigkill, broker-restart, store-outage, disk-full, skewed-clock,
fuzz, http-fuzz, slow-clients, load, schema. Each prints its figures as one JSON object and ``ok`` true/false;
the exit status is 1 if any run is not ok. ``--quick`` shrinks every run to seconds (a smoke test of
the suite itself); the figures in docs/reliability.md come from the full sizes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faults import delivery, fuzz, schema, slowclients


def _decoders(quick: bool, args: argparse.Namespace) -> dict[str, Any]:
    r = fuzz.fuzz_decoders(20_000 if quick else args.payloads, seed=args.seed, workers=args.workers)
    return {
        "payloads": r.cases,
        "seed": args.seed,
        "readings_accepted": r.readings,
        "crashes": r.crash_count,
        "crash_examples": r.crashes[:5],
        "refusals_by_reason": dict(r.refusals.most_common()),
        "reasons_not_in_REASONS": sorted(r.unknown_reasons),
        "families": dict(r.families),
        "seconds": round(r.seconds, 1),
        "ok": r.crash_count == 0 and not r.unknown_reasons,
    }


def _http(quick: bool, args: argparse.Namespace) -> dict[str, Any]:
    r = fuzz.fuzz_http(300 if quick else args.http_requests, seed=args.seed)
    return {
        "requests": r.requests,
        "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
        "answers_by_reason": dict(r.reasons.most_common()),
        "readings_stored": r.stored,
        "crashes": len(r.crashes),
        "crash_examples": r.crashes[:5],
        "seconds": round(r.seconds, 1),
        "ok": not r.crashes and not any(k >= 500 for k in r.statuses),
    }


def _load(quick: bool, args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.bench_load import run_load

    return run_load(duration_s=20 if quick else args.load_seconds)


def _schema(work: Path, quick: bool, args: argparse.Namespace) -> dict[str, Any]:
    """schemathesis, every check, as every role: ``--schema-seconds`` in all (default 600 s)."""
    per_role_s = max(10.0, (30 if quick else args.schema_seconds) / len(schema.ROLES))
    result = schema.schema_run(work, max_examples=3 if quick else 1000, max_time_s=per_role_s)
    result["failures"] = {role: tail[-3000:] for role, tail in result["failures"].items()}
    return result


def runs(args: argparse.Namespace) -> dict[str, Callable[[Path], dict[str, Any]]]:
    q = args.quick
    return {
        "sigkill": lambda d: delivery.sigkill(
            d, readings=10_000 if q else 100_000, kills=5 if q else args.kills, seed=args.seed
        ),
        "broker-restart": lambda d: delivery.broker_restart(
            d, readings=5_000 if q else 50_000, restarts=1 if q else 3
        ),
        "store-outage": lambda d: delivery.store_outage(
            d, readings=2_000 if q else 20_000, outage_s=5 if q else args.outage_seconds
        ),
        "disk-full": lambda d: delivery.disk_full(d, readings=10_000 if q else 30_000, full_s=3 if q else 20),
        "skewed-clock": lambda d: delivery.skewed_clock(d, per_case=50 if q else 500),
        "fuzz": lambda d: _decoders(q, args),
        "http-fuzz": lambda d: _http(q, args),
        "slow-clients": lambda d: slowclients.slow_clients(duration_s=10 if q else 30),
        "load": lambda d: _load(q, args),
        "schema": lambda d: _schema(d, q, args),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m faults", description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="*", help="which runs (default: all but load)")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the suite")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--payloads", type=int, default=1_000_000)
    p.add_argument("--http-requests", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--outage-seconds", type=float, default=60.0)
    p.add_argument("--load-seconds", type=float, default=600.0)
    p.add_argument("--schema-seconds", type=float, default=600.0)
    p.add_argument("--out", type=Path, default=Path("faults-figures.json"))
    args = p.parse_args(argv)
    table = runs(args)
    chosen = args.runs or [name for name in table if name != "load"]
    unknown = [name for name in chosen if name not in table]
    if unknown:
        p.error(f"unknown run(s) {unknown}; choose from {list(table)}")
    figures: dict[str, Any] = {}
    for name in chosen:
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"noiselab-{name}-") as tmp:
            try:
                result = table[name](Path(tmp))
            except Exception as exc:  # a run that cannot finish is a failed run, reported as such
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        result["wall_s"] = round(time.monotonic() - t0, 1)
        figures[name] = result
        print(f"== {name}: {'ok' if result.get('ok') else 'FAILED'}", flush=True)
        print(json.dumps(result, indent=1, default=str), flush=True)
        args.out.write_text(json.dumps(figures, indent=1, default=str))
    bad = [name for name, r in figures.items() if not r.get("ok")]
    print(f"== {len(figures) - len(bad)}/{len(figures)} runs ok" + (f"; failed: {bad}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
