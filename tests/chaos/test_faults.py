"""Fault plumbing that needs no stack: faults producing bad inputs wait out a broker outage."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from .faults import Context


def bare_context() -> Context:
    unused = cast(Any, None)
    return Context(unused, unused, unused, unused, unused, unused, print)


def test_producing_faults_wait_while_a_fault_has_the_broker_down() -> None:
    ctx = bare_context()
    ctx.produce_when_broker_up()  # up from the start: no wait
    produced = threading.Event()

    def produce() -> None:
        ctx.produce_when_broker_up()
        produced.set()

    with ctx.broker_away():
        waiter = threading.Thread(target=produce)
        waiter.start()
        time.sleep(0.2)
        assert not produced.is_set()
    assert produced.wait(5)
    waiter.join(5)


def test_the_broker_counts_as_up_again_when_starting_it_failed() -> None:
    ctx = bare_context()
    with pytest.raises(RuntimeError), ctx.broker_away():
        raise RuntimeError("kafka did not come back")
    assert ctx.broker_up.is_set()
