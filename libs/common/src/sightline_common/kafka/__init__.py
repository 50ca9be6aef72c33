"""Kafka I/O shared by every service: an idempotent producer and the consume → handle →
commit-after-effect → dead-letter loop."""

from sightline_common.kafka.consumer import BatchHandler, ConsumerLoop, Handler, Received
from sightline_common.kafka.producer import EventProducer

__all__ = ["BatchHandler", "ConsumerLoop", "EventProducer", "Handler", "Received"]
