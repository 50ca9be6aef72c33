"""The error hierarchy every service edge understands.

The consumer loop decides what to do with a message from the class of error alone: a
`PermanentError` can never succeed (the message goes to the dead-letter topic and the consumer
moves on), a `TransientError` may succeed later (the message is retried, never acknowledged).
"""

from __future__ import annotations


class SightlineError(Exception):
    """Base of every error Sightline raises on purpose."""


class PermanentError(SightlineError):
    """Processing this message can never succeed; dead-letter it with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidMessageError(PermanentError):
    """The bytes are not a valid envelope or the payload does not match its schema."""


class UnknownMessageTypeError(InvalidMessageError):
    """The envelope names a type or version this consumer has no schema for."""


class CorruptMediaError(PermanentError):
    """A segment or image cannot be decoded (truncated, zero bytes, not media)."""


class MissingObjectError(PermanentError):
    """A referenced object is not in storage."""


class StorageAccessDeniedError(PermanentError):
    """Object storage refused this service's login the request: its policy lacks the permission,
    or the access key or secret is wrong. A deployment to fix, not an outage: retrying cannot
    help, so it is shown (dead letter, error log, HTTP 500) instead of retried."""


class TransientError(SightlineError):
    """A dependency is unavailable right now (broker, storage, database); retry later."""


class DeliveryError(TransientError):
    """The broker did not acknowledge a produced message."""


class StorageUnavailableError(TransientError):
    """Object storage did not answer."""
