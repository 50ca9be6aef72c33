"""`python -m sightline_devstack up|down|status|cpu|run`: the local platform from a shell."""

from __future__ import annotations

import argparse
import sys
import time

from sightline_devstack.errors import PlatformError
from sightline_devstack.platform import down, ensure_up, server_cpu_seconds, status
from sightline_devstack.servers import SERVER_NAMES
from sightline_devstack.settings import DevstackSettings
from sightline_devstack.stack import run


def _say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def _up(settings: DevstackSettings, only: list[str] | None) -> int:
    started = time.monotonic()
    env = ensure_up(settings, only=only, say=_say)
    _say(f"platform up in {time.monotonic() - started:.1f}s; settings in {settings.env_file}")
    for key, value in env.as_env().items():
        if "PASSWORD" not in key and "SECRET" not in key:
            print(f"  {key}={value}")
    return 0


def _down(settings: DevstackSettings, only: list[str] | None) -> int:
    stopped = down(settings, only=only, say=_say)
    _say(f"stopped {', '.join(stopped)}" if stopped else "nothing of ours was running")
    return 0


def _status(settings: DevstackSettings, only: list[str] | None) -> int:
    rows = status(settings, only=only)
    print(f"{'server':<10}{'state':<10}{'pid':>8}  {'health':<8}{'ports':<32}log")
    for row in rows:
        ports = ",".join(f"{k}={v}" for k, v in row.ports.items()) or "-"
        health = "ok" if row.healthy else ("FAIL" if row.state == "running" else "-")
        pid = str(row.pid) if row.pid else "-"
        print(f"{row.name:<10}{row.state:<10}{pid:>8}  {health:<8}{ports:<32}{row.log_path}")
    # 0 only when every server runs healthily, like an LSB status: scripts can branch on it.
    return 0 if all(r.state == "running" and r.healthy for r in rows) else 3


def _cpu(settings: DevstackSettings, only: list[str] | None) -> int:
    # `make test` prints this before it stops a platform it started: the servers run detached,
    # so their CPU is counted in no phase of its own.
    for name, seconds in server_cpu_seconds(settings, only=only).items():
        print(f"{name:<10}{seconds:8.1f} CPU-s")
    return 0


def _run(settings: DevstackSettings, _only: list[str] | None) -> int:
    return run(settings, _say)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the command, turn platform errors into one clear line."""
    parser = argparse.ArgumentParser(prog="sightline-devstack", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "cpu", "run"))
    parser.add_argument(
        "--only",
        action="append",
        choices=SERVER_NAMES,
        help="act on this server only (repeatable)",
    )
    args = parser.parse_args(argv)
    settings = DevstackSettings.from_env()
    commands = {"up": _up, "down": _down, "status": _status, "cpu": _cpu, "run": _run}
    try:
        return commands[args.command](settings, args.only)
    except PlatformError as exc:
        print(f"devstack: {args.command} failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
