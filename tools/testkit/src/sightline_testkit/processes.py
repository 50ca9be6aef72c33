"""Running a service (or any helper program) as a real child process in a test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from sightline_devstack import ports
from sightline_testkit import forked


class ChildProcess:
    """A child process with its output in a log file; always reaped by `stop`/`kill`."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        name: str,
        *,
        fork: bool = False,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self._fork = fork
        self._proc: subprocess.Popen[bytes] | forked.ForkedProcess | None = None

    @classmethod
    def python_module(
        cls, module: str, args: Sequence[str], env: Mapping[str, str], log_path: Path
    ) -> ChildProcess:
        """`python -m module args...` with this interpreter (the venv's, not a shim)."""
        return cls([sys.executable, "-m", module, *args], env, log_path, module)

    @classmethod
    def forked_module(
        cls, module: str, args: Sequence[str], env: Mapping[str, str], log_path: Path
    ) -> ChildProcess:
        """`python -m module args` forked by this process's fork server (`forkserver`): the
        same program, without importing its third-party libraries again."""
        return cls([sys.executable, "-m", module, *args], env, log_path, module, fork=True)

    @property
    def pid(self) -> int:
        """The child's PID."""
        assert self._proc is not None, f"{self.name} not started"
        return self._proc.pid

    def start(self) -> ChildProcess:
        """Start (or restart) the process, appending to its log."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        if self._fork:
            module, *args = self.argv[2:]
            self._proc = forked.server().spawn(module, args, env, self.log_path)
            return self
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(self.argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def returncode(self) -> int | None:
        """The exit code once exited, else None."""
        return None if self._proc is None else self._proc.poll()

    def wait_http_ok(self, url: str, timeout: float = 60.0) -> None:
        """Wait until `url` answers 200, failing early (with the log) if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.returncode() is not None:
                raise RuntimeError(f"{self.name} exited {self.returncode()}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        self._check_answered_by_us(url)
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: {url} not OK after {timeout}s:\n{self.tail()}")

    def _check_answered_by_us(self, url: str) -> None:
        """Fail if a loopback `url` was answered by a process that is not this one or its child.

        A server that lost its port to another socket dies with "address already in use", while
        the stranger on that port may well answer 200; the test would then go on against it.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
            return
        holders = ports.listener_pids(parts.port)
        if holders and not any(_descends_from(pid, self.pid) for pid in holders):
            strangers = ", ".join(ports.describe_pid(pid) for pid in sorted(holders))
            raise RuntimeError(
                f"{self.name}: {url} was answered by {strangers}, not by pid {self.pid}:\n"
                f"{self.tail()}"
            )

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the process."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Wait for exit; returns the exit code."""
        assert self._proc is not None
        return self._proc.wait(timeout)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        return self._proc.returncode

    def kill(self) -> None:
        """SIGKILL and reap."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)

    def tail(self, lines: int = 40) -> str:
        """The last lines of the log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _descends_from(pid: int, ancestor: int) -> bool:
    """True when `pid` is `ancestor` or one of its descendants (walks /proc parent links)."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False
