"""detector-logo's settings: the shared detector settings with its own name, port and default
whole-frame search."""

from __future__ import annotations

from typing import Literal

from sightline_analysis.settings import DetectorSettings


class LogoDetectorSettings(DetectorSettings):
    """Environment `SIGHTLINE_*`; see the README for the variables."""

    service_name: str = "detector-logo"
    http_port: int = 8020
    # Learned proposals by default: until `train-proposals` has stored a net for the library
    # the matcher searches whole frames (SIFT), so a new logo is found at once, and faster and
    # with more recall once its net exists (README: "Learned proposals").
    logo_proposals: Literal["sift", "net"] = "net"
