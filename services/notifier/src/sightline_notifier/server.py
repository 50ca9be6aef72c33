"""The notifier's one port: the WebSocket at `/ws`, and `/healthz`, `/readyz`, `/metrics`.

Everything here runs on the event loop: the Kafka feed's batches arrive through
`call_soon_threadsafe` into a queue that one pump task applies, so the token registry and the
hub need no locks. The pump yields after each batch so that client senders drain their
outboxes between batches instead of seeing several batches pile up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import structlog
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from sightline_common.api_tokens import hash_token
from sightline_common.ops import ops_response
from sightline_notifier import metrics
from sightline_notifier.feed import FeedBatch, TokenChange
from sightline_notifier.hub import Hub
from sightline_notifier.session import Session
from sightline_notifier.settings import NotifierSettings
from sightline_notifier.tokens import TokenRegistry

log = structlog.get_logger(__name__)

MAX_CLIENT_FRAME_BYTES = 64 * 1024
POLICY_CLOSE_CODE = 1008  # policy violation: a revoked or expired token, or one in the URL
# A browser cannot set headers on a WebSocket, but it can offer subprotocols: the dashboard
# offers `sightline.v1` and `bearer.<token>`, so the token never appears in a URL (nor in the
# access logs of proxies and ingresses on the way). The server answers with `sightline.v1`.
SUBPROTOCOL = Subprotocol("sightline.v1")
BEARER_SUBPROTOCOL_PREFIX = "bearer."
# A token in the URL (`?token=`) is refused whatever its value: URLs end up in the access logs of
# proxies and ingresses. The handshake completes so that a browser sees this reason (a refused
# handshake only shows it code 1006), then the connection is closed before anything is served.
TOKEN_IN_URL_REASON = "token in URL refused: offer it as the bearer.<token> subprotocol"  # noqa: S105


class Notifier:
    """Authenticates handshakes, answers the operations paths and serves WebSocket clients."""

    def __init__(
        self,
        settings: NotifierSettings,
        hub: Hub,
        tokens: TokenRegistry,
        feed_alive: Callable[[], bool],
    ) -> None:
        self._settings = settings
        self._hub = hub
        self._tokens = tokens
        self._feed_alive = feed_alive
        self._caught_up = False
        self._sessions: dict[str, set[Session]] = {}  # by token hash, to end revoked ones

    def ready(self) -> bool:
        """Ready once the feed read the tokens (and warm-up events) present at start."""
        return self._caught_up and self._feed_alive()

    def take(self, batch: FeedBatch) -> None:
        """Apply one batch from the Kafka feed, in order (called on the event loop)."""
        for item in batch.items:
            if isinstance(item, TokenChange):
                self._apply_token(item)
            else:
                self._hub.publish(item)
        if batch.caught_up and not self._caught_up:
            self._caught_up = True
            log.info("notifier.ready", tokens=len(self._tokens))

    def _apply_token(self, change: TokenChange) -> None:
        if change.record is None:
            invalid = self._tokens.forget(change.token_id)
        else:
            invalid = self._tokens.apply(change.record)
        for session in self._sessions.get(invalid or "", set()).copy():
            session.close(POLICY_CLOSE_CODE, "token revoked")

    async def pump(self, batches: asyncio.Queue[FeedBatch]) -> None:
        """Apply feed batches as they arrive, letting the senders run between batches."""
        while True:
            self.take(await batches.get())
            await asyncio.sleep(0)

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer ops paths over plain HTTP; refuse a WebSocket handshake without a valid token."""
        url = urlsplit(request.path)
        answer = ops_response(url.path, self.ready)
        if answer is not None:
            status, content_type, body = answer
            response = connection.respond(status, body.decode())
            response.headers["Content-Type"] = content_type
            return response
        if url.path != self._settings.ws_path:
            metrics.REJECTED.labels(reason="not_found").inc()
            return connection.respond(404, "not found\n")
        if _token_in_url(url.query):
            metrics.REJECTED.labels(reason="token_in_url").inc()
            log.info("client.refused", reason="token in URL")
            return None  # `handle` closes it with TOKEN_IN_URL_REASON
        if not self.ready():
            metrics.REJECTED.labels(reason="not_ready").inc()
            return connection.respond(503, "not ready\n")
        if not self._tokens.accepts(_token(request)):
            metrics.REJECTED.labels(reason="unauthorized").inc()
            log.info("client.refused", reason="missing or invalid token")
            return connection.respond(401, "missing or invalid token\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        """Serve one authenticated client until it disconnects; close one with a token in its
        URL at once."""
        assert ws.request is not None  # set once the handshake (already checked) is done
        query = urlsplit(ws.request.path).query
        if _token_in_url(query):
            await ws.close(POLICY_CLOSE_CODE, TOKEN_IN_URL_REASON)
            return
        resume_from = parse_qs(query).get("last_event_id", [])
        session = Session(
            ws,
            self._hub,
            outbox=self._settings.outbox(),
            idle_timeout=self._settings.idle_timeout,
            resume_from=resume_from[0] if resume_from else None,
            token_hash=hash_token(_token(ws.request) or ""),
        )
        sessions = self._sessions.setdefault(session.token_hash, set())
        sessions.add(session)
        expiry = self._tokens.expiry_of(session.token_hash)
        # A token that expires ends its connections then, as a revocation does.
        ending = (
            asyncio.get_running_loop().call_later(
                max(0.0, (expiry - datetime.now(UTC)).total_seconds()),
                session.close,
                POLICY_CLOSE_CODE,
                "token expired",
            )
            if expiry is not None
            else None
        )
        try:
            await session.run()
        finally:
            if ending is not None:
                ending.cancel()
            sessions.discard(session)
            if not sessions:
                self._sessions.pop(session.token_hash, None)

    async def serve_until(self, stop: asyncio.Event, batches: asyncio.Queue[FeedBatch]) -> None:
        """Listen and pump feed batches until `stop` is set, then close clients with 1001."""
        settings = self._settings
        pump = asyncio.create_task(self.pump(batches))
        async with serve(
            self.handle,
            settings.http_host,
            settings.http_port,
            process_request=self.process_request,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            close_timeout=settings.close_timeout,
            max_size=MAX_CLIENT_FRAME_BYTES,
            # permessage-deflate would compress every frame once per client (its context is per
            # connection): the fan-out cost would grow with the audience. Frames go uncompressed.
            compression=None,
            select_subprotocol=_select_subprotocol,
        ) as server:
            log.info("notifier.listening", host=settings.http_host, port=settings.http_port)
            await stop.wait()
            await _close(server)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


async def _close(server: Server) -> None:
    server.close()  # code 1001 to every open connection
    await server.wait_closed()
    log.info("notifier.closed")


def _select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """`sightline.v1` when the client offers it (the bearer entry is never echoed back)."""
    return SUBPROTOCOL if SUBPROTOCOL in offered else None


def _token_in_url(query: str) -> bool:
    """Whether the URL carries a token (`?token=`, or `?access_token=` as some clients send)."""
    return any(
        name in {"token", "access_token"} for name in parse_qs(query, keep_blank_values=True)
    )


def _token(request: Request) -> str | None:
    """The token from a `bearer.<token>` subprotocol (browsers) or `Authorization: Bearer`
    (other clients): headers, which proxies do not log as they log URLs."""
    for offered in request.headers.get_all("Sec-WebSocket-Protocol"):
        for entry in offered.split(","):
            if entry.strip().startswith(BEARER_SUBPROTOCOL_PREFIX):
                return entry.strip().removeprefix(BEARER_SUBPROTOCOL_PREFIX)
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return None
