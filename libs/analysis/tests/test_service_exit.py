"""A detector that has stopped cleanly ends at once, its last log lines written."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_clean_stop_exits_with_its_code_writes_its_logs_and_skips_the_teardown() -> None:
    script = textwrap.dedent(
        """
        import atexit, sys
        from sightline_common.logging import configure_logging
        from sightline_analysis.service import exit_without_teardown
        atexit.register(lambda: print("teardown ran", flush=True))
        log = configure_logging("detector-test")
        log.info("detector.stopped", detector="test")
        print("last stdout line", end="")
        exit_without_teardown(3)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 3, done.stderr
    assert '"event": "detector.stopped"' in done.stderr
    assert done.stdout == "last stdout line"
