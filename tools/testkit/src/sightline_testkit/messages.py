"""Detection messages as a detector publishes them, for tests of what consumes them.

Consumers (the alerts evaluator, its acceptance harness) care about the frames and the
segment's place in the stream; the rest of the envelope is fixed filler that must still
validate against the schema, so it is written once here.
"""

from __future__ import annotations

from typing import Any

from sightline_common.messages import Detection


def detection(
    stream_id: str,
    seq: int,
    frames: list[dict[str, Any]],
    *,
    detector: str = "logo",
    duration: float = 2.0,
) -> Detection:
    """Live segment `seq` of `stream_id` (starting at `seq * duration` s) with `frames`."""
    return Detection.model_validate(
        {
            "stream_id": stream_id,
            "segment": {
                "sequence": seq,
                "bucket": "b",
                "object_key": f"{stream_id}/{seq}.ts",
                "media_start": seq * duration,
                "duration": duration,
            },
            "run_id": "live",
            "detector": {"name": detector, "version": "1", "config_hash": "c"},
            "executor": {"kind": "local", "latency_ms": 1},
            "frames": frames,
            "timings": {"total_ms": 1},
        }
    )
