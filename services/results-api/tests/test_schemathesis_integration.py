"""Property-based fuzzing of the whole API from its OpenAPI document: no input yields a 5xx.

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

pytestmark = pytest.mark.integration

EXAMPLES_PER_STRATEGY = 15


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


def test_no_input_yields_a_server_error(client, new_stream, token):
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
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                        f"{response.status_code} {response.text[:300]}"
                    )

            fuzz()
    assert failures == []
