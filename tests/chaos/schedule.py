"""When each fault happens: a seeded random plan, so a run can be repeated with its seed.

Faults run one at a time (a fault's effects are measured on their own); each starts at its
planned moment or, if the previous one is still going on, as soon as that one is over plus a
short settling gap.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .faults import (
    DELIVERY_TIMEOUT_S,
    CorruptSegment,
    DisconnectPublisher,
    Fault,
    KillService,
    MalformedMessages,
    OversizedInput,
    PoisonOnDeadLetters,
    RestartKafka,
    RestartKafkaThenSessionTimeout,
    StopServer,
)
from .rig import MATERIALIZER


@dataclass(frozen=True)
class Planned:
    """A fault and its moment, in seconds after the stream started flowing."""

    at_s: float
    fault: Fault


def faults_for(
    services: Sequence[str], kill_rounds: int, outage_s: float, *, long_outage: bool = False
) -> list[Fault]:
    """Every fault of the issues: each service killed `kill_rounds` times, the broker restarted
    (then the materializer frozen past its session timeout, when it runs), MinIO and Postgres
    stopped for `outage_s`, the publisher dropped, corrupt segments, malformed messages, poison
    on a dead-letter topic and a message whose dead letter is too large injected; with
    `long_outage`, the broker also away for longer than the producers' delivery timeout."""
    kills: list[Fault] = [KillService(s) for _ in range(kill_rounds) for s in services]
    restart: Fault = (
        RestartKafkaThenSessionTimeout(MATERIALIZER) if MATERIALIZER in services else RestartKafka()
    )
    long: list[Fault] = [StopServer("kafka", DELIVERY_TIMEOUT_S + 15)] if long_outage else []
    return [
        *kills,
        restart,
        *long,
        StopServer("minio", outage_s),
        StopServer("postgres", outage_s),
        DisconnectPublisher(),
        CorruptSegment(),
        MalformedMessages(),
        PoisonOnDeadLetters(),
        OversizedInput(),
    ]


def plan(
    seed: int, duration_s: float, faults: Sequence[Fault], warmup_s: float = 10.0
) -> list[Planned]:
    """Shuffle `faults` and give each a random moment in [warmup_s, duration_s), in order."""
    rng = random.Random(seed)
    order = list(faults)
    rng.shuffle(order)
    moments = sorted(rng.uniform(warmup_s, max(warmup_s, duration_s)) for _ in order)
    return [Planned(round(at, 1), fault) for at, fault in zip(moments, order, strict=True)]
