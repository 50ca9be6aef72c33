"""A Python with the services' third-party libraries already imported, forking test services.

Why: the suite is CPU-bound on a 2-core machine and starts a service (`python -m
sightline_results_api`, the notifier, ingest, ...) well over a hundred times a run; each start
imports fastapi, sqlalchemy/sqlmodel, psycopg, minio, confluent-kafka, structlog and uvicorn
again, ~2 CPU-s that do the same work every time. This program imports them once, then forks a
child per request that becomes `python -m <module> <args>` (its own environment, working folder
and log file, `runpy` as `-m` does) and reports each child's exit code and CPU (`wait4`).

Only libraries that start no thread when imported are preloaded (a fork copies one thread):
numpy, OpenCV, PyAV and TensorFlow are left to the child. Nothing of Sightline's own is
preloaded, so every module-level setting is read from the child's environment.

Protocol (the client is `sightline_testkit.forked`), JSON lines over the socket whose file
descriptor is the only argument: a request `{"id", "module", "args", "env", "cwd", "stdout",
"stderr"}` (output file paths, appended to) is answered `{"id", "pid"}` (or `{"id", "error"}`);
a child's end is reported as
`{"exit": pid, "code": exit code (negative: the signal), "cpu": CPU-s with its own children}`.
The server ends when the client closes the socket.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
from typing import Any

PRELOAD = (
    "fastapi",
    "sqlmodel",
    "psycopg",
    "minio",
    "confluent_kafka",
    "structlog",
    "uvicorn",
    "pydantic_settings",
    "prometheus_client",
    "websockets",
)

Request = dict[str, Any]


def main() -> None:
    """Preload, serve until the client goes, and in a forked child become the service."""
    channel = socket.socket(fileno=int(sys.argv[1]))
    for name in PRELOAD:
        importlib.import_module(name)
    request = _serve(channel)
    if request is not None:
        _become(request)


def _serve(channel: socket.socket) -> Request | None:
    """Fork a child per request and report each child's end; returns in a child (its request)
    or, in the server, None once the client has closed the socket."""
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    pending = b""
    while True:
        readable, _, _ = select.select([channel.fileno(), wake_read], [], [])
        if wake_read in readable:
            _drain(wake_read)
        _report_exits(channel)
        if channel.fileno() not in readable:
            continue
        data = channel.recv(1 << 16)
        if not data:
            return None
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request: Request = json.loads(line)
            try:
                pid = os.fork()
            except OSError as error:
                _send(channel, {"id": request["id"], "error": str(error)})
                continue
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_read, wake_write):
                    os.close(fd)
                channel.close()
                return request
            _send(channel, {"id": request["id"], "pid": pid})


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        return


def _report_exits(channel: socket.socket) -> None:
    """Reap every child that ended and report it with its CPU (its own reaped children too)."""
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        _send(channel, {"exit": pid, "code": code, "cpu": usage.ru_utime + usage.ru_stime})


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    channel.sendall(json.dumps(message).encode() + b"\n")


def _become(request: Request) -> None:
    """Turn this forked child into `python -m module args` with the request's environment,
    working folder and output files (appended to; stdin empty); the interpreter's
    normal exit (threads joined, atexit, exit code) follows when the module returns or raises.
    What a new interpreter would take from the environment at start-up is done here: the
    working folder and `PYTHONPATH` first on `sys.path`, `PYTHONFAULTHANDLER`."""
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[0:1] = [request["cwd"], *(p for p in extra if p not in sys.path)]
    if os.environ.get("PYTHONFAULTHANDLER"):
        faulthandler.enable()
    sys.argv = [request["module"], *request["args"]]
    runpy.run_module(request["module"], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
