"""Property-based requests generated from /openapi.json: no input may cause a server error.

Runs schemathesis' generators through plain hypothesis (its pytest plugin does not load under the pytest in
use here), a few examples per operation, as the admin so that every operation is reached.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api

EXAMPLES_PER_OPERATION = int(os.environ.get("NOISELAB_SCHEMATHESIS_EXAMPLES", "20"))
MINE = ("/v1/sensors", "/v1/targets", "/v1/compliance", "/v1/keys")


def test_no_server_errors(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith(MINE)  # the engineers' API; the resident page's stream never ends
    ]
    assert len(operations) >= 16
    seen: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy(), role=st.sampled_from(["admin", "public"]))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, role: str) -> None:
            if role == "admin":
                case.headers = {**(case.headers or {}), "X-API-Key": api.keys["admin"]}
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
            if response.status_code >= 400 and case.method != "HEAD":
                [content_type] = response.headers.get("content-type", [""])
                assert content_type.startswith("application/problem+json"), response.text

        run()
        seen.append(operation.label)
    assert any("/daily" in label for label in seen)
