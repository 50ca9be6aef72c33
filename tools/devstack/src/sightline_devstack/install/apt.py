"""The Debian packages the platform runs: nginx + RTMP module, ffmpeg, PostgreSQL.

Checked with dpkg first so a machine that has them pays nothing; `apt-get update` runs only
when something is missing. Debian's postinst scripts would start the system nginx/postgres
services; a temporary policy-rc.d stops that, because our own instances want those ports.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sightline_devstack.errors import InstallError

PACKAGES: tuple[str, ...] = ("nginx", "libnginx-mod-rtmp", "ffmpeg", "postgresql")
_POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
# Another apt run (unattended-upgrades, a colleague) holding the dpkg lock is waited for.
_WAIT_FOR_LOCK = ("-o", "DPkg::Lock::Timeout=300")


def is_installed(package: str) -> bool:
    """True when dpkg reports `package` as installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and result.stdout.strip() == "install ok installed"


def missing(packages: Sequence[str] = PACKAGES) -> list[str]:
    """The packages of `packages` not installed yet."""
    return [p for p in packages if not is_installed(p)]


@contextlib.contextmanager
def _no_service_starts() -> Iterator[None]:
    # Exit code 101 tells invoke-rc.d "action forbidden"; only ours if none existed before.
    if _POLICY_RC_D.exists():
        yield
        return
    _POLICY_RC_D.write_text(
        "#!/bin/sh\n# sightline-devstack: no service starts during install\nexit 101\n"
    )
    _POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        _POLICY_RC_D.unlink(missing_ok=True)


def ensure_packages(
    packages: Sequence[str] = PACKAGES, say: Callable[[str], None] = print
) -> list[str]:
    """Install whatever of `packages` is missing; returns what was installed."""
    todo = missing(packages)
    if not todo:
        return []
    if os.geteuid() != 0:
        raise InstallError(
            f"missing Debian packages {todo}; run as root or: apt-get install {todo}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say(f"apt: installing {' '.join(todo)}")
    with _no_service_starts():
        for argv in (
            ["apt-get", *_WAIT_FOR_LOCK, "update", "-q"],
            ["apt-get", *_WAIT_FOR_LOCK, "install", "-y", "-q", "--no-install-recommends", *todo],
        ):
            result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                tail = "\n".join(
                    result.stdout.splitlines()[-15:] + result.stderr.splitlines()[-15:]
                )
                raise InstallError(f"{' '.join(argv)} failed:\n{tail}")
    still = missing(packages)
    if still:
        raise InstallError(f"apt-get reported success but {still} are not installed")
    return todo
