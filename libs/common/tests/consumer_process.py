"""A real consumer process for the crash tests: records each event it handles in a file.

Environment: BOOTSTRAP, TOPIC, GROUP, RECORD (file), and optionally KILL_ON (an event id after
whose handling the process SIGKILLs itself, before the commit) or SLOW_SECONDS (time each
handling takes, so a SIGTERM arrives mid-message), CONCURRENCY (the loop's, default 1) and
SESSION_TIMEOUT_MS (the group session, default the services' own).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.logging import configure_logging


def main() -> None:
    configure_logging("consumer-process")
    record = Path(os.environ["RECORD"])
    kill_on = os.environ.get("KILL_ON")
    slow = float(os.environ.get("SLOW_SECONDS", "0"))
    producer = EventProducer(os.environ["BOOTSTRAP"], "consumer-process")

    def handle(item: Received) -> None:
        if slow:
            with record.open("a") as out:
                out.write(f"begin {item.event_id}\n")
            time.sleep(slow)
        with record.open("a") as out:
            out.write(f"handled {item.event_id}\n")
        if item.event_id == kill_on:
            os.kill(os.getpid(), signal.SIGKILL)

    loop = ConsumerLoop(
        bootstrap=os.environ["BOOTSTRAP"],
        group_id=os.environ["GROUP"],
        client_id="consumer-process",
        topics={os.environ["TOPIC"]: None},
        producer=producer,
        handler=handle,
        batch_size=1,
        concurrency=int(os.environ.get("CONCURRENCY", "1")),
        consumer_overrides=(
            {"session.timeout.ms": int(os.environ["SESSION_TIMEOUT_MS"])}
            if "SESSION_TIMEOUT_MS" in os.environ
            else None
        ),
    )
    loop.install_signal_handlers()
    loop.run()


if __name__ == "__main__":
    main()
