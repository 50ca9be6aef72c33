"""Property-based fuzzing of the whole API from its OpenAPI document: no input yields a 5xx,
and every answer conforms to the document (response schema and content type).

Runs in-process against the real database, Kafka and MinIO with a valid token, so generated
requests reach the handlers (not just the 401 gate): schema-valid and schema-violating inputs
for every operation, and for stream routes also with the id of a stream that exists. Drives
schemathesis' strategies through Hypothesis directly: its pytest plugin does not load under
this pytest version.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

pytestmark = pytest.mark.integration

EXAMPLES_PER_STRATEGY = 15
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _strategies(operation, stream_id: str) -> list[SearchStrategy]:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{stream_id}" in operation.path:
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"stream_id": stream_id})
        )
    return strategies


def test_no_input_yields_a_server_error_or_an_undocumented_answer(client, new_stream, token):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
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
            def fuzz(case) -> None:
                headers = {"Authorization": f"Bearer {token}"}
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                        f"{response.status_code} {[f.title for f in group.exceptions]} "
                        f"{response.text[:300]}"
                    )

            fuzz()
    assert failures == [], "\n".join(failures)
