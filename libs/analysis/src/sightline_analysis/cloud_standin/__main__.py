"""`python -m sightline_analysis.cloud_standin --port N [--api-key K] [--delay S]`.

Serves logo (following the logo library like a detector), face and colour features; Kafka
and MinIO settings come from the usual `SIGHTLINE_*` environment.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from sightline_analysis.cloud_standin import standin_app
from sightline_analysis.runtime import build_analyzers
from sightline_analysis.settings import DetectorSettings
from sightline_common.logging import configure_logging
from sightline_common.storage import ObjectStore


def main() -> int:
    """Serve the stand-in until SIGTERM."""
    parser = argparse.ArgumentParser(prog="sightline-cloud-standin")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-key", default="standin-key")
    parser.add_argument("--analyzers", default="logo,faces,colours", help="plugin keys")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait per call")
    args = parser.parse_args()
    settings = DetectorSettings(service_name="cloud-standin")
    configure_logging(settings.service_name, settings.log_level)
    runtime = build_analyzers(
        tuple(args.analyzers.split(",")), settings, ObjectStore.from_settings(settings)
    )
    analyzers = {a.key: a for a in runtime.analyzers.analyzers}
    app = standin_app(analyzers, args.api_key, runtime.caught_up, args.delay)
    runtime.start()
    try:
        uvicorn.run(app, host=settings.http_host, port=args.port, log_config=None, access_log=False)
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
