"""Which sources ingest may open: no local file reads and no requests into internal networks.

A source's `uri` goes to `ffmpeg -i`, which reads files and fetches URLs. Left free-form, a user
who may create streams could read any file on the ingest host (`file:///etc/passwd`) or reach a
cloud metadata endpoint or an internal service and watch the answer as HLS. So:

- a file source is a path inside the media directory (after resolving symlinks and `..`);
- a network source uses an allowed scheme, and its host must not be a loopback, private,
  link-local or otherwise internal address unless `allow_private` says so (cameras on the LAN
  are a real use, so it is a setting, off by default);
- a webcam is a `/dev/video*` device.

results-api checks a source when it is created or changed (422) and ingest checks it again before
it runs ffmpeg (names can resolve differently later); ingest also passes ffmpeg a protocol
whitelist so that a playlist cannot pull in another protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field

from sightline_common.internal_hosts import UnresolvableHostError, first_internal_address
from sightline_common.messages import Source, SourceKind

DEFAULT_SCHEMES = "rtsp,rtsps,rtmp,rtmps,srt,http,https"
_DEVICE = re.compile(r"^/dev/video[0-9]+$")
# What ffmpeg may open for a source of each scheme (HLS over http pulls segments the same way).
_FFMPEG_PROTOCOLS = {
    "file": "file",
    "rtsp": "rtsp,rtp,udp,tcp,tls",
    "rtsps": "rtsp,rtsps,rtp,udp,tcp,tls",
    "rtmp": "rtmp,tcp",
    "rtmps": "rtmps,rtmp,tcp,tls",
    "srt": "srt,udp",
    "http": "http,tcp,hls,crypto",
    "https": "https,http,tcp,tls,hls,crypto",
}


class SourceNotAllowedError(ValueError):
    """The source would read something it must not (a file outside the media directory, an
    internal address, a scheme not allowed); the message says which rule it breaks."""


class SourcePolicySettings(BaseModel):
    """The settings of the policy, mixed into the settings of results-api and ingest."""

    media_dir: str = Field(
        default="", description="file sources must lie inside this folder; empty: none allowed"
    )
    source_schemes: str = Field(
        default=DEFAULT_SCHEMES, description="URL schemes network sources may use"
    )
    source_allow_private: bool = Field(
        default=False,
        description="allow network sources on loopback, private and link-local addresses",
    )

    def source_policy(self) -> SourcePolicy:
        """The policy these settings describe."""
        return SourcePolicy(
            media_dir=Path(self.media_dir).resolve() if self.media_dir else None,
            schemes=frozenset(s.strip().lower() for s in self.source_schemes.split(",") if s),
            allow_private=self.source_allow_private,
        )


@dataclass(frozen=True)
class SourcePolicy:
    """The rules above; `check` raises SourceNotAllowedError, `protocols` names ffmpeg's."""

    media_dir: Path | None
    schemes: frozenset[str]
    allow_private: bool = False

    def check(self, source: Source) -> None:
        """Raise SourceNotAllowedError unless `source` may be opened."""
        if source.kind == SourceKind.webcam:
            if source.uri and not _DEVICE.match(source.uri):
                raise SourceNotAllowedError("a webcam source is a /dev/videoN device")
            return
        if source.kind != SourceKind.file or not source.uri:
            return
        url = urlparse(source.uri)
        scheme = url.scheme.lower()
        if scheme in ("", "file"):
            self._check_file(unquote(url.path) if scheme else source.uri)
        else:
            self._check_network(scheme, url.hostname)

    def missing_file(self, source: Source) -> str | None:
        """Why an allowed file source cannot be played now (its file is not in the media
        folder), or None. Only asked where the media folder is mounted; ingest instead reports
        a missing file from ffmpeg's output, since a file may appear later."""
        if source.kind != SourceKind.file or not source.uri or self.media_dir is None:
            return None
        url = urlparse(source.uri)
        if url.scheme.lower() not in ("", "file") or not self.media_dir.is_dir():
            return None
        path = Path(unquote(url.path) if url.scheme else source.uri).resolve()
        if not path.is_file():
            return f"no file {path.name!r} in the media folder"
        return None

    def protocols(self, source: Source) -> str:
        """ffmpeg's `-protocol_whitelist` for an allowed file source."""
        scheme = urlparse(source.uri or "").scheme.lower()
        return _FFMPEG_PROTOCOLS.get(scheme or "file", scheme)

    def _check_file(self, path: str) -> None:
        if self.media_dir is None:
            raise SourceNotAllowedError("file sources are not allowed (no media directory set)")
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.media_dir):
            raise SourceNotAllowedError(f"a file source must lie inside {self.media_dir}")

    def _check_network(self, scheme: str, host: str | None) -> None:
        if scheme not in self.schemes:
            allowed = ", ".join(sorted(self.schemes)) or "none"
            raise SourceNotAllowedError(f"scheme {scheme!r} is not allowed (allowed: {allowed})")
        if not host:
            raise SourceNotAllowedError("a network source needs a host")
        if self.allow_private:
            return
        try:
            address = first_internal_address(host)
        except UnresolvableHostError as exc:
            raise SourceNotAllowedError(str(exc)) from exc
        if address is not None:
            raise SourceNotAllowedError(
                f"{host} is an internal address ({address}); set "
                "SIGHTLINE_SOURCE_ALLOW_PRIVATE=true to allow cameras on the local network"
            )
