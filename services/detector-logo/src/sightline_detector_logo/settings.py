"""detector-logo's settings: the shared detector settings with its own name and port."""

from __future__ import annotations

from sightline_analysis.settings import DetectorSettings


class LogoDetectorSettings(DetectorSettings):
    """Environment `SIGHTLINE_*`; see the README for the variables."""

    service_name: str = "detector-logo"
    http_port: int = 8020
