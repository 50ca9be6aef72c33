"""A TCP proxy in front of the real Kafka broker that can lose a Produce response.

Fault injection for delivery guarantees: the proxy forwards a Produce request to the broker,
waits until the broker has answered (so the batch is written), and then closes the client's
connection instead of passing the answer on. The client never learns that its batch landed
and sends it again — exactly the retry an idempotent producer must deduplicate.

Kafka clients connect to the address the broker advertises, not to the bootstrap address, and
they learn it from Metadata responses and (KIP-951) from the leader endpoints in Produce
responses. So the proxy rewrites the broker's address to its own in every response but Fetch
(whose record bytes are data): all of the client's traffic then goes through it. Only the port
changes (same host), so frames keep their length and need no parsing beyond the header.

`outage()` cuts every connection and refuses new ones until it ends: to the clients behind the
proxy the broker is gone (a broker restart, a network partition), while it stays up for others.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

PRODUCE = 0
FETCH = 1  # carries record bytes, which must never be rewritten


@dataclass
class _Faults:
    """What the proxy is told to break, and what it did (shared by all connections)."""

    produce_responses_to_lose: int = 0
    lost: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_produce_loss(self) -> bool:
        with self.lock:
            if self.produce_responses_to_lose <= 0:
                return False
            self.produce_responses_to_lose -= 1
            self.lost += 1
            return True


class KafkaProxy:
    """Listens on 127.0.0.1:<free port> and relays to one broker; use as a context manager."""

    def __init__(self, broker: str) -> None:
        host, port = broker.rsplit(":", 1)
        self._broker = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._faults = _Faults()
        self._address_swaps = _address_swaps(host.encode(), int(port), self.port)
        self._closing = threading.Event()
        self._down = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def bootstrap(self) -> str:
        """The address clients should use instead of the broker's."""
        return f"127.0.0.1:{self.port}"

    @property
    def lost_produce_responses(self) -> int:
        """How many Produce responses the broker sent that the client never saw."""
        return self._faults.lost

    def lose_produce_responses(self, count: int) -> None:
        """Swallow the next `count` Produce responses, closing the client connection each time.

        A response may be an error (e.g. not leader yet on a fresh topic) that wrote nothing:
        deliver one message first so the partition's leader is settled.
        """
        with self._faults.lock:
            self._faults.produce_responses_to_lose += count

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore()`."""
        self._down.set()
        for sock in list(self._sockets):
            _close(sock)
        self._sockets.clear()

    def restore(self) -> None:
        """Accept and relay connections again."""
        self._down.clear()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """The broker is unreachable through the proxy for the duration of the block."""
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def __enter__(self) -> KafkaProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._listener.close()
        for sock in list(self._sockets):
            _close(sock)
        for thread in self._threads:
            thread.join(5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                _close(client)
                continue
            upstream = socket.create_connection(self._broker)
            self._sockets += [client, upstream]
            pending: dict[int, int] = {}
            lock = threading.Lock()
            self._spawn(self._requests, client, upstream, pending, lock)
            self._spawn(self._responses, client, upstream, pending, lock)

    def _requests(
        self,
        client: socket.socket,
        upstream: socket.socket,
        pending: dict[int, int],
        lock: threading.Lock,
    ) -> None:
        """Client → broker: remember each request's API key by correlation id."""
        for frame in _frames(client):
            api_key, _version, correlation_id = struct.unpack_from(">hhi", frame, 4)
            with lock:
                pending[correlation_id] = api_key
            if not _send(upstream, frame):
                break
        _close(client)
        _close(upstream)

    def _responses(
        self,
        client: socket.socket,
        upstream: socket.socket,
        pending: dict[int, int],
        lock: threading.Lock,
    ) -> None:
        """Broker → client: re-address the broker to the proxy, lose Produce answers when told."""
        for frame in _frames(upstream):
            (correlation_id,) = struct.unpack_from(">i", frame, 4)
            with lock:
                api_key = pending.pop(correlation_id, -1)
            if api_key == PRODUCE and self._faults.take_produce_loss():
                break
            if not _send(client, frame if api_key == FETCH else self._readdress(frame)):
                break
        _close(client)
        _close(upstream)

    def _readdress(self, frame: bytes) -> bytes:
        for upstream, proxy in self._address_swaps:
            frame = frame.replace(upstream, proxy)
        return frame


def _address_swaps(host: bytes, upstream_port: int, proxy_port: int) -> list[tuple[bytes, bytes]]:
    """(broker address, proxy address) as they appear on the wire: the host as a classic
    (int16 length) or compact (uvarint length + 1) string followed by the int32 port."""
    assert len(host) < 127, "a longer host needs a multi-byte uvarint length"
    prefixes = [struct.pack(">h", len(host)), bytes([len(host) + 1])]
    return [
        (
            prefix + host + struct.pack(">i", upstream_port),
            prefix + host + struct.pack(">i", proxy_port),
        )
        for prefix in prefixes
    ]


def _frames(sock: socket.socket) -> Iterator[bytes]:
    """Size-prefixed Kafka frames (prefix included) until the peer closes."""
    buffer = b""
    while True:
        while len(buffer) >= 4:
            (size,) = struct.unpack_from(">i", buffer)
            if len(buffer) < 4 + size:
                break
            yield buffer[: 4 + size]
            buffer = buffer[4 + size :]
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        buffer += chunk


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
