"""The test side of `sightline_testkit.forkserver`: start it once per pytest process, and
services forked by it that behave, to a test, like `subprocess.Popen` children.

The children are the fork server's, not this process's: their exit codes and CPU come over
the socket. Their CPU is added to what `cpu_by_module` counts for the test that stopped them
(`unreaped_cpu`), as a child of this process would be.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_START_S = 60.0  # the server's preload takes ~2 CPU-s; a loaded CI machine stretches it


class ForkServerError(RuntimeError):
    """The fork server could not start a child, or is gone."""


class ForkServer:
    """One fork server process and the reader of its messages."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "sightline_testkit.forkserver", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        self._channel = ours
        self._changed = threading.Condition()
        # One request on the socket at a time: two threads' sendall could interleave.
        self._sending = threading.Lock()
        self._pids: dict[int, int | str] = {}
        self._exits: dict[int, int] = {}
        self._reported_cpu = 0.0
        self._gone = False
        self._next_id = 0
        threading.Thread(target=self._read, name="fork-server", daemon=True).start()

    def spawn(
        self,
        module: str,
        args: Sequence[str],
        env: Mapping[str, str],
        log: Path,
        stderr: Path | None = None,
    ) -> ForkedProcess:
        """`python -m module args` with exactly `env`, forked; stdout goes to `log`, and stderr
        too unless `stderr` names another file (both appended to). The files exist when this
        returns, as with `Popen` (a test may read the log before the child writes to it)."""
        for path in (log, stderr or log):
            path.open("ab").close()
        with self._changed:
            self._next_id += 1
            request_id = self._next_id
        request = {
            "id": request_id,
            "module": module,
            "args": list(args),
            "env": dict(env),
            "cwd": os.getcwd(),
            "stdout": str(log),
            "stderr": str(stderr or log),
        }
        with self._sending:
            self._channel.sendall(json.dumps(request).encode() + b"\n")
        with self._changed:
            if not self._changed.wait_for(
                lambda: request_id in self._pids or self._gone, timeout=_START_S
            ):
                raise ForkServerError(f"no answer to start {module} within {_START_S:.0f} s")
            answer = self._pids.pop(request_id, "the fork server is gone")
        if isinstance(answer, str):
            raise ForkServerError(f"cannot start {module}: {answer}")
        return ForkedProcess(self, answer)

    def exit_code(self, pid: int) -> int | None:
        """Child `pid`'s exit code once it has ended, else None."""
        with self._changed:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        """Child `pid`'s exit code, waiting up to `timeout` s (None: for ever); None when it
        has not ended by then. `ForkServerError` if the server went away first (the child's
        end can no longer be known)."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits or self._gone, timeout)
            if pid not in self._exits and self._gone:
                raise ForkServerError(f"the fork server is gone; the end of pid {pid} unknown")
            return self._exits.get(pid)

    def reported_cpu(self) -> float:
        """CPU-s of the children that have ended so far."""
        with self._changed:
            return self._reported_cpu

    def close(self) -> None:
        """End the server (its children are not stopped: their owners do that) and reap it."""
        self._channel.shutdown(socket.SHUT_RDWR)  # the reader's file holds the socket open
        self._channel.close()
        self._process.wait(_START_S)

    def _read(self) -> None:
        reader = self._channel.makefile("rb")
        try:
            for line in reader:
                self._take(json.loads(line))
        except (OSError, ValueError):
            pass
        finally:
            with self._changed:
                self._gone = True
                self._changed.notify_all()

    def _take(self, message: dict[str, Any]) -> None:
        with self._changed:
            if "exit" in message:
                self._exits[int(message["exit"])] = int(message["code"])
                self._reported_cpu += float(message["cpu"])
            else:
                self._pids[int(message["id"])] = message.get("pid") or str(message.get("error"))
            self._changed.notify_all()


class ForkedProcess:
    """A forked service with the part of `subprocess.Popen`'s interface tests use."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server = server
        self.pid = pid

    @property
    def returncode(self) -> int | None:
        """The exit code once ended (negative: killed by that signal), else None."""
        return self._server.exit_code(self.pid)

    def poll(self) -> int | None:
        """The exit code once ended, else None."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end; `subprocess.TimeoutExpired` after `timeout` s, as Popen does."""
        started = time.monotonic()
        code = self._server.wait_exit(self.pid, timeout)
        if code is None:
            waited = time.monotonic() - started
            raise subprocess.TimeoutExpired(f"forked pid {self.pid}", timeout or waited)
        return code

    def send_signal(self, sig: int) -> None:
        """Send `sig` unless the child has already ended (its pid may be another's by now)."""
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def server() -> ForkServer:
    """This process's fork server, started on first use."""
    global _server  # noqa: PLW0603 - one server per pytest process
    with _server_lock:
        if _server is None:
            _server = ForkServer()
        return _server


def close_server() -> None:
    """End this process's fork server, if one was started; its CPU then counts as a reaped
    child's (`unreaped_cpu` no longer adds its children)."""
    global _server  # noqa: PLW0603
    with _server_lock:
        if _server is not None:
            _server.close()
            _server = None


def unreaped_cpu() -> float:
    """CPU-s of forked children that have ended but are not yet in this process's
    RUSAGE_CHILDREN (they get there when the server itself is reaped, at `close_server`)."""
    with _server_lock:
        return 0.0 if _server is None else _server.reported_cpu()
