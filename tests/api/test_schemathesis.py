"""schemathesis against the live server: every operation but the endless stream, every check (response
schemas, status codes, content types, headers, negative and positive data, unsupported methods and
``Allow``, ignored auth, use after free), every phase (examples, coverage, fuzzing, stateful), once with no
key and once as vendor, engineer and admin. Any finding fails.

Lean here (``NOISELAB_SCHEMATHESIS_EXAMPLES``, default 5 per operation: 70 s for the four roles on the idle
2-core machine, about 3.5 min beside other suites); ``python -m faults schema`` is the long run
(docs/reliability.md). A 422 for schema-valid data is accepted only where the document declares it
(``x-refused-when-valid``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faults.schema import ROLES, schema_run

EXAMPLES = int(os.environ.get("NOISELAB_SCHEMATHESIS_EXAMPLES", "5"))


@pytest.mark.slow
def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    result = schema_run(tmp_path, max_examples=EXAMPLES, roles=ROLES)
    assert result["operations"] >= 40  # the document lists the whole API (one path per ingest format)
    assert set(result["runs"]) == set(ROLES)
    findings = "\n\n".join(f"== as {role}:\n{tail}" for role, tail in result["failures"].items())
    assert result["ok"], findings
