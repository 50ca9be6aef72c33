"""Property-based fuzzing of the whole API from its OpenAPI document: no input yields a 5xx,
and every answer conforms to the document (response schema and content type).

Runs in-process against the real database, Kafka and MinIO with a valid token, so generated
requests reach the handlers (not just the 401 gate): schema-valid and schema-violating inputs
for every operation, and for stream routes also with the id of a stream that exists. Drives
schemathesis' strategies through Hypothesis directly: its pytest plugin does not load under
this pytest version.

schemathesis and Hypothesis are imported inside the test (~3 CPU-s a process): every xdist worker
collects this module, one runs it. pyproject's `-p no:schemathesis` keeps schemathesis' unused
pytest plugin from importing them into every pytest process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from hypothesis.strategies import SearchStrategy
    from schemathesis import Case
    from schemathesis.schemas import APIOperation

pytestmark = pytest.mark.integration

# Every operation is fuzzed in each mode on every run; the examples per mode set only the depth.
# Hypothesis draws new ones each run (no database, no fixed seed), so depth accumulates over
# runs. 15 cost ~11 CPU-s more than 8 per run (25.6/29.6 against 14.6/18.2, load 8-13).
EXAMPLES_PER_STRATEGY = 8


def _strategies(
    operation: APIOperation[Any, Any, Any, Any], stream_id: str
) -> list[SearchStrategy[Case[Any]]]:
    from schemathesis import GenerationMode  # noqa: PLC0415 - see the module docstring

    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{stream_id}" in operation.path:
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"stream_id": stream_id})
        )
    return strategies


def test_no_input_yields_a_server_error_or_an_undocumented_answer(
    client: TestClient, new_stream: str, token: str
) -> None:
    import schemathesis  # noqa: PLC0415 - see the module docstring
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from schemathesis.checks import not_a_server_error  # noqa: PLC0415
    from schemathesis.core.failures import FailureGroup  # noqa: PLC0415
    from schemathesis.core.result import Ok  # noqa: PLC0415
    from schemathesis.specs.openapi.checks import (  # noqa: PLC0415
        content_type_conformance,
        response_schema_conformance,
    )

    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    results = list(schema.get_all_operations())
    assert [r.err() for r in results if not isinstance(r, Ok)] == [], "operations not loaded"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 12

    for operation in operations:
        for strategy in _strategies(operation, new_stream):

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_STRATEGY,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def fuzz(case: Case[Any]) -> None:
                headers = {"Authorization": f"Bearer {token}"}
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except FailureGroup as group:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                        f"{response.status_code} {[f.title for f in group.exceptions]} "
                        f"{response.text[:300]}"
                    )

            fuzz()
    assert failures == [], "\n".join(failures)
