"""Container HEALTHCHECK for every Sightline service image: GET /healthz on the service's port.

Python rather than curl so the runtime images carry no extra HTTP client; the port comes from the
same `SIGHTLINE_HTTP_PORT` the service binds, so an override in compose or k8s keeps them in step.
Exit status 0 means healthy, 1 unhealthy (Docker's contract).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    """Probe the local /healthz once with a short timeout."""
    port = os.environ.get("SIGHTLINE_HTTP_PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
