"""The synthetic live source: a scene with a known logo (720p30 by default), pushed over RTMP.

The scene is drawn with the analysis library's synthetic footage (the logo detector's own tests
prove it finds such a logo), with a small moving test pattern in a corner so every segment's
bytes differ. The publisher keeps pushing until told to stop: if ffmpeg exits (nginx refused the
publish because ingest was down at that moment, or the broker of the callback was slow), it is
started again after a second, like an encoder set to reconnect.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import cv2

from sightline_analysis.synthetic import Placement, background, composite, make_logo

BRAND = "chaoscola"
LOGO_SEED = 7


def make_media(folder: Path, size: tuple[int, int] = (1280, 720)) -> tuple[Path, Path]:
    """Write the reference logo and the scene of `size` with it (the logo a quarter of the
    width, right of centre, at any size); returns (logo, scene)."""
    folder.mkdir(parents=True, exist_ok=True)
    logo = make_logo(BRAND.upper(), seed=LOGO_SEED)
    width, height = size
    place = Placement((width * 43 // 64, height * 13 // 36), width // 4)
    scene, _box = composite(background(3, size), logo, place)
    # BMP, not PNG: ffmpeg's looped image input decodes the file again for every frame, and
    # inflating a PNG cost two thirds of the publisher's CPU (a BMP is the same pixels, copied).
    logo_path, scene_path = folder / "logo.png", folder / "scene.bmp"
    cv2.imwrite(str(logo_path), logo)
    cv2.imwrite(str(scene_path), scene)
    return logo_path, scene_path


def push_command(scene: Path, url: str, fps: int = 30) -> list[str]:
    """ffmpeg publishing the scene live at `fps` with 2 s GOPs (nginx cuts 2 s fragments); the
    moving test pattern sits in the bottom-left corner of a scene of any height."""
    gop = str(2 * fps)
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
        "-loop", "1", "-framerate", str(fps), "-i", str(scene),
        "-f", "lavfi", "-i", f"testsrc2=size=240x135:rate={fps}",
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo",
        "-filter_complex", "[0:v][1:v]overlay=x=40:y=main_h-180,format=yuv420p[v]",
        "-map", "[v]", "-map", "2:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k", "-f", "flv", url,
    ]  # fmt: skip


class Publisher:
    """Keeps one ffmpeg publishing to `url` until `stop()`; `disconnect()` drops it on purpose."""

    def __init__(self, scene: Path, url: str, log_path: Path, fps: int = 30) -> None:
        self._command = push_command(scene, url, fps)
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep_running, daemon=True)
        self.connects: list[float] = []

    def start(self) -> None:
        """Begin publishing (and keep doing so)."""
        self._wanted.set()
        with self._lock:
            self._spawn()
        self._thread.start()

    def disconnect(self, gap_s: float) -> tuple[float, float]:
        """Drop the connection abruptly (SIGKILL, as a network loss would) and reconnect after
        `gap_s`; returns (dropped at, reconnected at), wall clock."""
        with self._lock:
            self._wanted.clear()
            self._kill(signal.SIGKILL)
            dropped = time.time()
        time.sleep(gap_s)
        with self._lock:
            self._wanted.set()
            self._spawn()
            return dropped, time.time()

    def stop(self) -> None:
        """End the stream the way an encoder does (SIGINT: ffmpeg flushes and closes RTMP)."""
        self._stopped.set()
        with self._lock:
            self._wanted.clear()
            self._kill(signal.SIGINT)
        if self._thread.is_alive():
            self._thread.join(5)

    def _spawn(self) -> None:
        with self._log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self._command, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        self.connects.append(time.time())

    def _kill(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def _keep_running(self) -> None:
        while not self._stopped.wait(1.0):
            with self._lock:
                dead = self._proc is not None and self._proc.poll() is not None
                if self._wanted.is_set() and dead:
                    self._spawn()
