"""Process diagnostics set up with logging: SIGUSR1 dumps every thread's stack to the log."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

WAITER = """
import sys, threading, time
from sightline_common.logging import configure_logging

def waiting_in_a_worker_thread():
    time.sleep(60)

configure_logging("stack-test")
threading.Thread(target=waiting_in_a_worker_thread, daemon=True).start()
print("ready", flush=True)
time.sleep(60)
"""


def test_sigusr1_writes_every_threads_stack_to_stderr_and_the_process_goes_on() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WAITER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGUSR1)
        time.sleep(1)
        assert child.poll() is None, "SIGUSR1 must not stop the service"
    finally:
        child.kill()
    _, stderr = child.communicate(timeout=10)
    assert "waiting_in_a_worker_thread" in stderr  # the other thread's stack, too
    assert 'File "<string>"' in stderr
