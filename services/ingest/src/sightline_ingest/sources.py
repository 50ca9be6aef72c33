"""ffmpeg command lines for the source adapters: each pushes RTMP to nginx-rtmp like OBS.

Pushing to nginx-rtmp (rather than writing HLS directly) means a source adapter's stream takes
exactly the path of an operator's OBS stream: the publish callback, nginx's HLS muxing and the
same pickup. Every adapter encodes H.264 with a key frame every 2 s, so segments are ~2 s.
"""

from __future__ import annotations

from urllib.parse import urlparse

from sightline_common.messages import Source, SourceKind
from sightline_common.source_policy import SourceNotAllowedError, SourcePolicy

GOP_SECONDS = 2
_LIVE_SCHEMES = {"rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "rtp", "tcp"}


class SourceConfigError(ValueError):
    """The stream's source cannot be run (no URI for a file, unknown kind)."""


def _encode(with_audio: bool) -> list[str]:
    audio = ["-c:a", "aac", "-b:a", "96k", "-ar", "44100"] if with_audio else ["-an"]
    return [
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-pix_fmt", "yuv420p",
        "-force_key_frames", f"expr:gte(t,n_forced*{GOP_SECONDS})",
        "-sc_threshold", "0",
        *audio,
    ]  # fmt: skip


def _input(source: Source, policy: SourcePolicy) -> tuple[list[str], bool]:
    """ffmpeg input arguments for `source`, and whether it has audio to encode."""
    if source.kind == SourceKind.test:
        return [
            "-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        ], True  # fmt: skip
    try:
        policy.check(source)  # again here: a name may resolve differently than at creation
    except SourceNotAllowedError as exc:
        raise SourceConfigError(str(exc)) from exc
    if source.kind == SourceKind.webcam:
        device = source.uri or "/dev/video0"
        return ["-f", "v4l2", "-framerate", "30", "-video_size", "1280x720", "-i", device], False
    if source.kind == SourceKind.file:
        if not source.uri:
            raise SourceConfigError("a file source needs a uri")
        live = urlparse(source.uri).scheme.lower() in _LIVE_SCHEMES
        args = [] if live else ["-re"]
        if source.loop and not live:
            args += ["-stream_loop", "-1"]
        return [*args, "-protocol_whitelist", policy.protocols(source), "-i", source.uri], True
    raise SourceConfigError(f"source kind {source.kind.value!r} is not run by ingest")


def ffmpeg_command(ffmpeg: str, source: Source, push_url: str, policy: SourcePolicy) -> list[str]:
    """The full command that runs `source` and pushes it to `push_url` (rtmp://…/app/key);
    raises SourceConfigError for a source that cannot run or that `policy` forbids."""
    inputs, audio = _input(source, policy)
    mapping = ["-map", "0:v:0"] + (["-map", "1:a:0"] if source.kind == SourceKind.test else [])
    if source.kind == SourceKind.file:
        mapping = ["-map", "0:v:0", "-map", "0:a:0?"]
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        *inputs, *mapping, *_encode(audio), "-f", "flv", push_url,
    ]  # fmt: skip


def runs_forever(source: Source) -> bool:
    """Whether the source is restarted when ffmpeg exits cleanly (a file played once is not)."""
    return source.kind != SourceKind.file or source.loop


MANAGED_KINDS = frozenset({SourceKind.test, SourceKind.file, SourceKind.webcam})
