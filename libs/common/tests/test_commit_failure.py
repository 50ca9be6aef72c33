"""A commit that fails while the group coordinator moves (a broker restart) must not kill the
consumer loop: the batch's effects are durable, the next commit covers them. Seen in the chaos
run: results-api and detector-logo exited 1 on COORDINATOR_LOAD_IN_PROGRESS / _WAIT_COORD."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, KafkaException

from sightline_common.kafka import ConsumerLoop, EventProducer


class _CoordinatorLoading:
    def commit(self, **_: Any) -> None:
        raise KafkaException(KafkaError(KafkaError.COORDINATOR_LOAD_IN_PROGRESS))

    def close(self) -> None:
        return None


def test_a_failed_commit_is_logged_not_raised() -> None:
    loop = ConsumerLoop(
        bootstrap="127.0.0.1:1",  # never contacted
        group_id="g",
        client_id="c",
        topics={"t": None},
        producer=EventProducer("127.0.0.1:1", "c"),
        handler=lambda _received: None,
    )
    loop._consumer.close()
    loop._consumer = _CoordinatorLoading()  # type: ignore[assignment]
    loop._commit({("t", 0): 5})
