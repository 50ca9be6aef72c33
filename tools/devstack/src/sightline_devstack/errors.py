"""The ways bringing the local platform up or down can fail, each a specific exception.

The CLI turns any `PlatformError` into one clear line (and the log file to read) instead of a
traceback; library callers (pytest fixtures) can catch the narrower types.
"""

from __future__ import annotations

from pathlib import Path


class PlatformError(Exception):
    """Base class: something about the local platform is not as it must be."""


class InstallError(PlatformError):
    """A prerequisite (Debian package, Kafka jars, MinIO binary) could not be installed."""


class PortTakenError(PlatformError):
    """A port the platform needs is held by a process that is not ours."""


class ServerStartError(PlatformError):
    """A server did not become healthy in time, or exited while starting."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        hint = f" (see {log_path})" if log_path is not None else ""
        super().__init__(f"{message}{hint}")
        self.log_path = log_path
