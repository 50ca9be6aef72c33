"""The MinIO server binary, built once from source with the Go toolchain into the cache.

MinIO no longer publishes binaries we can reach from here, but the Go module proxy serves its
source, so `go install` builds it (several minutes on two cores; progress is printed). Built
into a staging folder and moved into place, so a half-built binary is never mistaken for done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sightline_devstack.errors import InstallError
from sightline_devstack.locking import exclusive

MINIO_MODULE = "github.com/minio/minio"
# The newest version the Go proxy serves for MinIO (a pseudo-version: upstream stopped tagging
# module-compatible releases). Bump deliberately; the cached binary is keyed by path only.
MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"
_PROGRESS_EVERY_S = 20.0


def minio_binary(cache_dir: Path) -> Path:
    """Where the built server lives."""
    return cache_dir / "bin" / "minio"


def ensure_minio(cache_dir: Path, say: Callable[[str], None] = print) -> Path:
    """Build MinIO unless the cache already has it; returns the binary's path."""
    target = minio_binary(cache_dir)
    if target.is_file():
        return target
    with exclusive(cache_dir / "minio-build.lock", say, "the MinIO build"):
        if target.is_file():
            return target
        go = shutil.which("go") or shutil.which("go", path="/usr/local/go/bin")
        if go is None:
            raise InstallError("the Go toolchain is needed to build MinIO")
        staging = cache_dir / "minio-build.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        log_path = cache_dir / "minio-build.log"
        env = {**os.environ, "GOBIN": str(staging), "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
        say(f"minio: building {MINIO_MODULE}@{MINIO_VERSION} (several minutes; log {log_path})")
        started = time.monotonic()
        _run_with_progress(
            [go, "install", "-v", f"{MINIO_MODULE}@{MINIO_VERSION}"], env, log_path, say
        )
        built = staging / "minio"
        if not built.is_file():
            raise InstallError(f"go install finished but produced no binary (see {log_path})")
        target.parent.mkdir(parents=True, exist_ok=True)
        built.replace(target)
        shutil.rmtree(staging, ignore_errors=True)
        say(f"minio: built in {time.monotonic() - started:.0f}s")
    return target


def _run_with_progress(
    argv: list[str], env: dict[str, str], log_path: Path, say: Callable[[str], None]
) -> None:
    """Run the build, copying its output to `log_path` and saying how far it got now and then."""
    packages = 0
    last_said = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if not line.startswith("go: "):  # `-v` prints one line per package compiled
                packages += 1
            if time.monotonic() - last_said >= _PROGRESS_EVERY_S:
                say(f"minio: still building ({packages} packages compiled so far)")
                last_said = time.monotonic()
        code = proc.wait()
    if code != 0:
        tail = log_path.read_text().splitlines()[-15:]
        raise InstallError(f"building MinIO failed (see {log_path}):\n" + "\n".join(tail))
