"""The notifier against the real broker, with real WebSocket clients and real processes."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import ExposureUpdate, SourceKind, StreamLifecycle, StreamStatus
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .conftest import DetectionWriter, Kit, StartNotifier

# The notifier's protocol, tokens, replay and back-pressure: one partition per topic is enough
# (testkit's topic_partitions; ~0.4 CPU-s less of the shared broker per test). Its feed over
# every partition of full topic sets runs in the stack tests (alerts through the stack, secrets
# not logged, the pipeline e2e tests).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]


def test_a_subscriber_receives_each_detection_once_in_order(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    notifier = start_notifier()

    async def scenario() -> None:
        async with notifier.connect(token) as ws:
            await kit.subscribe(ws, ["cam-1"])
            sent = []
            for batch in range(5):
                sent += writer.publish("cam-1", range(batch * 10, batch * 10 + 10))
                writer.publish("cam-2", range(batch, batch + 1))  # not subscribed
            got = await kit.collect(ws, len(sent))
            assert [f["event_id"] for f in got] == sent
            assert {f["stream_id"] for f in got} == {"cam-1"}
            assert got[0]["payload"]["segment"]["sequence"] == 0
            # Nothing more queued: the next frame is a fresh marker, not a duplicate or cam-2.
            marker = writer.publish("cam-1", range(99, 100))
            assert (await kit.next_frame(ws))["event_id"] == marker[0]

    asyncio.run(scenario())


def test_stream_status_and_exposure_updates_are_pushed_with_their_frame_types(
    isolated: Isolated, start_notifier: StartNotifier, token: str, kit: Kit
) -> None:
    notifier = start_notifier()
    producer = EventProducer(isolated.bootstrap, "test-other-topics")
    lifecycle = StreamLifecycle(
        stream_id="cam-1", status=StreamStatus.started, source_kind=SourceKind.test
    )
    exposure = ExposureUpdate.model_validate(
        {"stream_id": "cam-1", "run_id": "live", "window_start": 0, "window_end": 10, "brands": []}
    )

    async def scenario() -> None:
        async with notifier.connect(token) as ws:
            await kit.subscribe(ws, ["*"])
            for topic, payload in ((Topic.STREAMS, lifecycle), (Topic.EXPOSURE, exposure)):
                envelope = wrap(payload, key="cam-1", producer="t")
                producer.publish(isolated.topics.name(topic), envelope)
            producer.flush()
            first, second = await kit.next_frame(ws), await kit.next_frame(ws)
            assert {first["type"], second["type"]} == {"stream.lifecycle", "exposure"}
            by_type = {f["type"]: f for f in (first, second)}
            assert by_type["stream.lifecycle"]["payload"]["status"] == "started"
            assert by_type["exposure"]["payload"]["window_end"] == 10
            assert {f["stream_id"] for f in (first, second)} == {"cam-1"}

    asyncio.run(scenario())


def test_unauthenticated_and_revoked_clients_are_refused_and_ops_paths_answer(
    isolated: Isolated, start_notifier: StartNotifier, kit: Kit
) -> None:
    notifier = start_notifier()
    revoked = kit.issue_token(isolated)
    kit.issue_token(isolated, token=revoked, revoked=True)
    # Issued after the notifier started, and last: once it is accepted, the revocation before
    # it on the one-partition token topic has been applied too.
    late = kit.issue_token(isolated)

    async def status_of(token: str | None = None, headers: dict[str, str] | None = None) -> int:
        """101 when a client offering `token` as a subprotocol is served, else the refusal."""
        try:
            async with notifier.connect(token, additional_headers=headers) as ws:
                await kit.subscribe(ws, ["*"])
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    async def scenario() -> None:
        assert await status_of() == 401
        assert await status_of("not-a-token") == 401
        # The feed may take a moment to read the new token: a bound in seconds, not in tries.
        deadline = time.monotonic() + 60
        while await status_of(late) != 101:
            assert time.monotonic() < deadline, "the feed never read the new token"
            await asyncio.sleep(0.1)
        assert await status_of(headers={"Authorization": f"Bearer {late}"}) == 101
        # A token results-api issued with an expiry: accepted until then; its open connection
        # ends at the expiry, as a revoked token's does, and a new handshake is refused.
        # The feed must read it, and the client connect, before it expires: 15 s, not 6 as it
        # was, whose tries (50 x 0.1 s) a loaded machine could spend before the feed had read it.
        ends = datetime.now(UTC) + timedelta(seconds=15)
        brief = kit.issue_token(isolated, expires_at=ends)
        while await status_of(brief) != 101:
            assert datetime.now(UTC) < ends - timedelta(seconds=5), "the feed never read it"
            await asyncio.sleep(0.1)
        async with notifier.connect(brief) as ws:
            await kit.subscribe(ws, ["cam-1"])
            with pytest.raises(ConnectionClosed) as closed:  # nothing else comes for cam-1
                await asyncio.wait_for(ws.recv(), 30)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "token expired")
        assert datetime.now(UTC) > ends - timedelta(seconds=0.5)
        assert await status_of(brief) == 401
        assert await status_of(revoked) == 401

    asyncio.run(scenario())
    with urllib.request.urlopen(notifier.http("/healthz")) as response:
        assert response.status == 200
    with urllib.request.urlopen(notifier.http("/metrics")) as response:
        assert b"sightline_notifier_rejected_total" in response.read()


def test_a_browser_presents_its_token_as_a_subprotocol_never_in_the_url(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    notifier = start_notifier()

    async def scenario() -> None:
        offered = [Subprotocol("sightline.v1"), Subprotocol(f"bearer.{token}")]
        async with connect(notifier.url(), subprotocols=offered) as ws:
            assert ws.subprotocol == "sightline.v1"  # the token is never echoed back
            await kit.subscribe(ws, ["cam-1"])
            sent = writer.publish("cam-1", range(3))
            assert [f["event_id"] for f in await kit.collect(ws, 3)] == sent
        wrong = [Subprotocol("sightline.v1"), Subprotocol("bearer.not-a-token")]
        with pytest.raises(InvalidStatus) as refused:
            async with connect(notifier.url(), subprotocols=wrong):
                pass
        assert refused.value.response.status_code == 401

    asyncio.run(scenario())


def test_a_token_in_the_url_is_refused_with_a_close_reason_whatever_its_value(
    start_notifier: StartNotifier, token: str, kit: Kit
) -> None:
    notifier = start_notifier()

    async def first_frame(ws: ClientConnection) -> None:
        await ws.send('{"op":"subscribe","streams":["*"]}')
        await asyncio.wait_for(ws.recv(), 20)

    async def close_of(client: connect) -> tuple[int, str]:
        async with client as ws:
            with pytest.raises(ConnectionClosed) as closed:  # closed before any frame is served
                await first_frame(ws)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    refusal = (1008, "token in URL refused: offer it as the bearer.<token> subprotocol")

    async def scenario() -> None:
        assert await close_of(connect(notifier.url(token=token))) == refusal
        assert await close_of(connect(notifier.url(access_token=token))) == refusal
        # Even beside a valid subprotocol token: the URL has already carried it into logs.
        offered = [Subprotocol("sightline.v1"), Subprotocol(f"bearer.{token}")]
        beside = connect(notifier.url(token=token), subprotocols=offered)
        assert await close_of(beside) == refusal
        async with notifier.connect(token) as ws:  # the same token, offered properly, is served
            await kit.subscribe(ws, ["*"])

    asyncio.run(scenario())
    with urllib.request.urlopen(notifier.http("/metrics")) as response:
        assert 'reason="token_in_url"} 3.0' in response.read().decode()


def test_a_revoked_token_ends_its_open_connections_and_idle_ones_are_closed(
    isolated: Isolated, start_notifier: StartNotifier, token: str, kit: Kit
) -> None:
    notifier = start_notifier(SIGHTLINE_IDLE_TIMEOUT="1")
    other = kit.issue_token(isolated)

    async def close_of(ws: ClientConnection) -> tuple[int, str]:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 20)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    async def scenario() -> None:
        async with notifier.connect(token) as idle:
            assert await close_of(idle) == (1000, "idle")
        async with notifier.connect(token) as ws:
            await kit.subscribe(ws, ["cam-1"])
            kit.issue_token(isolated, token=token, revoked=True)
            assert await close_of(ws) == (1008, "token revoked")
        async with notifier.connect(other) as ws:  # other tokens still work
            await kit.subscribe(ws, ["cam-1"])

    asyncio.run(scenario())


def stalled_socket(port: int) -> socket.socket:
    """A connected socket with a tiny receive buffer, so a client that never reads stalls fast.

    Neither end of it pings (the client: `ping_interval=None`; the notifier: a 600-s interval):
    never reading, the client answers no ping and sees no pong, and a keepalive (20 s + 20 s)
    closed its connection (1011, keepalive ping timeout) once a test under load ran past 40 s,
    before the test read what the notifier had kept for it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def test_a_client_that_never_reads_does_not_delay_another(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    notifier = start_notifier(SIGHTLINE_CLIENT_QUEUE="200", SIGHTLINE_PING_INTERVAL="600")
    total = 3000  # ~12 MB of frames: far more than the stalled client's buffers and outbox

    async def scenario() -> None:
        stalled_sock = stalled_socket(notifier.port)
        async with (
            notifier.connect(token, sock=stalled_sock, max_queue=1, ping_interval=None) as stalled,
            notifier.connect(token) as reader,
        ):
            await kit.subscribe(stalled, ["cam-1"])
            await kit.subscribe(reader, ["cam-1"])

            def produce() -> list[str]:
                return [
                    event_id
                    for start in range(0, total, 500)
                    for event_id in writer.publish("cam-1", range(start, start + 500), results=40)
                ]

            producing = asyncio.create_task(asyncio.to_thread(produce))
            got = await kit.collect(reader, total, timeout=120)
            sent = await producing
            assert [f["event_id"] for f in got] == sent
            # A burst is not slowness: the stalled client counts as slow once its socket has not
            # drained for the stall timeout. Read it only after the notifier says it gave up.
            await kit.wait_for_metric(notifier, "sightline_notifier_frames_dropped_total")

            # The stalled client lost its oldest frames; every frame is either delivered or
            # counted in a `dropped` notice, and the rest arrive in order once it reads.
            delivered, dropped = await kit.read_accounted(stalled, total)
            assert dropped > 0
            assert delivered == [e for e in sent if e in set(delivered)]
            assert delivered[-1] == sent[-1]

    asyncio.run(scenario())


def test_a_burst_of_ten_thousand_reaches_a_reading_client_whole_beside_a_stalled_one(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    notifier = start_notifier(SIGHTLINE_PING_INTERVAL="600")  # see stalled_socket
    total = 10_000

    async def scenario() -> None:
        stalled_sock = stalled_socket(notifier.port)
        async with (
            notifier.connect(token, sock=stalled_sock, max_queue=1, ping_interval=None) as stalled,
            notifier.connect(token, max_queue=None) as reader,
        ):
            await kit.subscribe(stalled, ["cam-1"])
            await kit.subscribe(reader, ["cam-1"])
            producing = asyncio.create_task(
                asyncio.to_thread(writer.publish, "cam-1", range(total), 20)
            )
            got = await kit.collect(reader, total, kind=None, timeout=180)
            sent = await producing
            assert [f["type"] for f in got] == ["detection"] * total  # no `dropped` notice
            assert [f["event_id"] for f in got] == sent

            await kit.wait_for_metric(notifier, "sightline_notifier_frames_dropped_total")
            dropped_by_notifier = kit.metric_value(
                notifier, "sightline_notifier_frames_dropped_total"
            )
            delivered, dropped = await kit.read_accounted(stalled, total)
            assert dropped == dropped_by_notifier > 0
            assert len(delivered) + dropped == total
            assert delivered == [e for e in sent if e in set(delivered)]
            assert delivered[-1] == sent[-1]

    asyncio.run(scenario())


def test_a_client_resumes_after_its_last_event_id_or_is_told_to_resync(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    notifier = start_notifier(SIGHTLINE_STREAM_BUFFER="30")

    async def scenario() -> None:
        async with notifier.connect(token) as ws:
            await kit.subscribe(ws, ["cam-1"])
            first = writer.publish("cam-1", range(10))
            assert [f["event_id"] for f in await kit.collect(ws, 10)] == first
        missed = writer.publish("cam-1", range(10, 20))
        async with notifier.connect(token, last_event_id=first[-1]) as ws:
            await kit.subscribe(ws, ["cam-1"])
            live = writer.publish("cam-1", range(20, 25))
            got = await kit.collect(ws, 15)
            assert [f["event_id"] for f in got] == missed + live

        async with notifier.connect(token) as observer:
            await kit.subscribe(observer, ["cam-1"])
            writer.publish("cam-1", range(25, 60))  # pushes the first events out of the buffer
            await kit.collect(observer, 35)  # the notifier has read them all
        async with notifier.connect(token) as ws:
            acked = await kit.subscribe(ws, ["cam-1"], last_event_id=first[0])
            assert acked[-1]["type"] == "subscribed"
            resync = await kit.next_frame(ws)
            assert resync["type"] == "resync"
            assert resync["streams"] == ["cam-1"]

    asyncio.run(scenario())


def test_two_replicas_each_deliver_every_event_and_resume_across_each_other(
    start_notifier: StartNotifier, token: str, writer: DetectionWriter, kit: Kit
) -> None:
    one, two = start_notifier(), start_notifier()

    async def scenario() -> None:
        async with one.connect(token) as a, two.connect(token) as b:
            await kit.subscribe(a, ["*"])
            await kit.subscribe(b, ["cam-1"])
            sent = writer.publish("cam-1", range(20))
            assert [f["event_id"] for f in await kit.collect(a, 20)] == sent
            assert [f["event_id"] for f in await kit.collect(b, 20)] == sent
        later = writer.publish("cam-1", range(20, 30))
        # A client of replica one that saw up to sent[-1] resumes on replica two.
        async with two.connect(token, last_event_id=sent[-1]) as b:
            await kit.subscribe(b, ["cam-1"])
            assert [f["event_id"] for f in await kit.collect(b, 10)] == later

    asyncio.run(scenario())


def test_sigterm_closes_clients_with_going_away_and_exits_zero(
    start_notifier: StartNotifier, token: str, kit: Kit
) -> None:
    notifier = start_notifier()

    async def scenario() -> int | None:
        async with notifier.connect(token) as ws:
            await kit.subscribe(ws, ["cam-1"])
            notifier.process.signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 20)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(scenario()) == 1001
    assert notifier.process.wait(20) == 0
