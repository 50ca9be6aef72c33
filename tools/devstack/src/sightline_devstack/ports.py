"""Who listens where: loopback port checks read from the kernel, not guessed.

`down` promises to leave no listener behind and `up` refuses a port held by a stranger, so both
need to know which process holds a port; /proc/net/tcp plus /proc/<pid>/fd tells us without
extra tools.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import socket
import time
from collections import deque
from pathlib import Path

_TCP_LISTEN = "0A"


def can_bind(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on `host:port` (a wildcard listener also makes it False)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a port in TIME_WAIT from a server we just stopped counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def accepts_connections(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True when a TCP connect to `host:port` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def next_free_port(start: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first port at or after `start` that nothing listens on."""
    for candidate in range(start, start + tries):
        if can_bind(candidate, host):
            return candidate
    raise OSError(f"no free port in {start}..{start + tries - 1}")


_THROWAWAY_PORTS_FROM = 20000
_LOCAL_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _first_local_port() -> int:
    """Where the kernel starts handing out local ports to outgoing connections."""
    try:
        return int(_LOCAL_PORT_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _worker_slice(low: int, high: int) -> tuple[int, int]:
    """This pytest-xdist worker's share of [low, high), so two workers never draw the same port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or "1")
    if not worker.startswith("gw") or count <= 1:
        return low, high
    index = int(worker[2:]) % count
    width = (high - low) // count
    return low + index * width, low + (index + 1) * width


_handed_out: deque[int] = deque()


def _remember(port: int, limit: int) -> None:
    """Keep `port` from the next draws: callers often draw several ports before binding any."""
    _handed_out.append(port)
    while len(_handed_out) > limit:
        _handed_out.popleft()


def ephemeral_port(host: str = "127.0.0.1") -> int:
    """A free port for a throwaway instance in a test, drawn below the kernel's local port range.

    Binding port 0 would hand out a port from the range every outgoing Kafka or HTTP connection
    also draws its local port from, so between our close and the server's bind another socket
    could take it, and a readiness probe would then talk to that stranger. Below the range only
    an explicit bind takes a port, and each xdist worker draws from its own slice. A port handed
    out lately is not handed out again, since a rig draws all its servers' ports before it starts
    the first (two servers drawn the same port made one refuse to start).
    """
    high = _first_local_port()
    low, high = _worker_slice(_THROWAWAY_PORTS_FROM, high)
    if high - low < 100:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            return int(sock.getsockname()[1])
    draw = random.SystemRandom()
    for _ in range(200):
        candidate = draw.randrange(low, high)
        if candidate in _handed_out:
            continue
        if not _listening_inodes(candidate) and can_bind(candidate, host):
            _remember(candidate, limit=max(1, (high - low) // 4))
            return candidate
    raise OSError(f"no free port in {low}..{high - 1} after 200 draws")


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as fh:
            next(fh, None)
            for line in fh:
                cols = line.split()
                local, state, inode = cols[1], cols[3], cols[9]
                if state == _TCP_LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    return inodes


def listener_pids(port: int) -> set[int]:
    """Pids of processes holding a listening socket on `port` (any address)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return set()
    wanted = {f"socket:[{inode}]" for inode in inodes}
    pids: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        pids.add(int(proc.name))
                        break
    return pids


def describe_pid(pid: int) -> str:
    """`pid (command line)` for error messages."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = "?"
    return f"{pid} ({cmd[:120]})"


def wait_until_free(ports: list[int], timeout: float, host: str = "127.0.0.1") -> list[int]:
    """Wait for every port to lose its listener; returns the ports still held at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        held = [p for p in ports if _listening_inodes(p) or not can_bind(p, host)]
        if not held or time.monotonic() >= deadline:
            return held
        time.sleep(0.1)
