"""``noiselab check FORMAT FILE``: the vendors' conformance check offline (same as POST .../check)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from noiselab.ingest.check import check_sample
from noiselab.ingest.decoders import Message


def run(fmt: str, file: Path, *, topic: str | None, headers: tuple[str, ...]) -> int:
    """Print the report as JSON; exit status 1 when anything would be refused."""
    parsed = {}
    for h in headers:
        name, sep, value = h.partition(":")
        if not sep:
            print(f"--header must look like 'Name: value', got {h!r}", file=sys.stderr)
            return 2
        parsed[name.strip().lower()] = value.strip()
    message = Message(topic=topic, headers=parsed, body=file.read_bytes(), received_s=time.time())
    _, report = check_sample(fmt, message, None)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if report["refused"] else 0
