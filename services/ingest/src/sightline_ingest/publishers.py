"""Asking nginx-rtmp which stream keys are publishing right now (its `/stat` page).

If ingest was down when nginx called `on_publish_done`, the publish would look open forever;
the stat page settles it after a restart and whenever a stream goes quiet. Only hashes of the
names are kept.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import structlog

from sightline_ingest.keys import hash_key

log = structlog.get_logger(__name__)


def publishing_hashes(stat_xml: str, app: str) -> set[str]:
    """Hashes of the stream names with a live publisher in application `app`."""
    root = ET.fromstring(stat_xml)  # noqa: S314 - loopback nginx, not user input
    out: set[str] = set()
    for application in root.iter("application"):
        if application.findtext("name") != app:
            continue
        for stream in application.iter("stream"):
            name = stream.findtext("name")
            if name and stream.find("publishing") is not None:
                out.add(hash_key(name))
    return out


class NginxPublishers:
    """Reads the stat page; None when nginx cannot be asked (then nothing is concluded)."""

    def __init__(self, stat_url: str | None, app: str, timeout: float = 2.0) -> None:
        self._url = stat_url
        self._app = app
        self._timeout = timeout

    def __call__(self) -> set[str] | None:
        """Key hashes being published now, or None if unknown."""
        if not self._url:
            return None
        try:
            with urllib.request.urlopen(self._url, timeout=self._timeout) as resp:  # noqa: S310
                text = resp.read().decode(errors="replace")
            return publishing_hashes(text, self._app)
        except (urllib.error.URLError, OSError, ET.ParseError) as exc:
            log.warning("nginx.stat_unavailable", reason=str(exc))
            return None
