"""structlog JSON logging, configured once per process in the entry point."""

from __future__ import annotations

import faulthandler
import logging
import signal
import sys

import structlog


def configure_logging(service: str, level: str = "INFO") -> structlog.stdlib.BoundLogger:
    """Route structlog and stdlib logging to one JSON line per event on stderr.

    Every line carries `service`, so logs from many processes can be merged and filtered.
    The same stream gets Python's stack of every thread on a fatal signal (a crash in native
    code: OpenCV, librdkafka) and on SIGUSR1, which is how one sees where a stuck service waits
    without stopping it (`kill -USR1 <pid>`).
    """
    # fd 2 itself, even while a test captures `sys.stderr` in an object without a descriptor.
    process_stderr = sys.__stderr__
    if process_stderr is not None:
        faulthandler.enable(file=process_stderr, all_threads=True)
        faulthandler.register(signal.SIGUSR1, file=process_stderr, all_threads=True)
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=numeric_level, force=True)
    # httpx logs every request's full URL at INFO, query string included: the cloud executor's
    # `?key=` API key would land in the log on every call.
    logging.getLogger("httpx").setLevel(max(numeric_level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logger: structlog.stdlib.BoundLogger = structlog.get_logger().bind(service=service)
    return logger
