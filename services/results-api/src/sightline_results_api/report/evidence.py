"""Evidence thumbnails: the best frame of an exposure with the logo's box drawn, so a number in
a report can be clicked down to the picture behind it.

Made on first request from the stored segment (OpenCV decodes up to the one frame), kept in the
segments bucket under the stream's prefix (`streams/<id>/evidence/`, so deleting or expiring
the stream's storage removes them too) and served from there afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

import cv2
import numpy as np
import structlog
from sqlmodel import Session, col, select

from sightline_common.errors import MissingObjectError
from sightline_common.storage import ObjectStore
from sightline_results_api.models import DetectionRow, Segment
from sightline_results_api.report.model import ReportExposure

log = structlog.get_logger(__name__)

WIDTH = 480  # px: enough to read a logo, small enough for a PDF page of them
BOX_COLOUR = (0, 200, 255)  # BGR: amber, visible on pitch green and on sky


class EvidenceUnavailableError(LookupError):
    """No picture can be made: the detection, its segment or the segment's video is gone."""


class FrameDecodeError(RuntimeError):
    """The frame could not be decoded from the stored segment."""


def evidence_key(stream_id: str, event_id: str, item_index: int) -> str:
    """Where a detection's thumbnail is kept in the segments bucket."""
    return f"streams/{stream_id}/evidence/{event_id}-{item_index}.jpg"


def thumbnail(
    session: Session, store: ObjectStore, bucket: str, event_id: str, item_index: int
) -> bytes:
    """The JPEG of the detection's frame with its box drawn (made once, then stored).

    Raises EvidenceUnavailableError when the detection or its video is gone, FrameDecodeError
    when it cannot be decoded, StorageUnavailableError when MinIO cannot be reached.
    """
    row = session.get(DetectionRow, (event_id, item_index))
    if row is None:
        raise EvidenceUnavailableError(f"detection {event_id}/{item_index} not found")
    key = evidence_key(row.stream_id, event_id, item_index)
    if store.exists(bucket, key):
        return store.get_bytes(bucket, key)
    segment = session.exec(
        select(Segment).where(
            col(Segment.stream_id) == row.stream_id,
            col(Segment.sequence) == row.segment_sequence,
        )
    ).first()
    if segment is None:
        raise EvidenceUnavailableError(f"segment {row.segment_sequence} of the detection is gone")
    video = segment_video(store, segment)
    frame = decode_frame(video, max(row.media_ts - segment.media_start, 0.0))
    box = None
    if None not in (row.box_x, row.box_y, row.box_w, row.box_h):
        box = (row.box_x or 0.0, row.box_y or 0.0, row.box_w or 0.0, row.box_h or 0.0)
    jpeg = draw(frame, box)
    store.put_bytes(bucket, key, jpeg, content_type="image/jpeg")
    return jpeg


def segment_video(store: ObjectStore, segment: Segment) -> bytes:
    """The stored segment's bytes; EvidenceUnavailableError once they are gone (expired,
    erased)."""
    try:
        return store.get_bytes(segment.bucket, segment.object_key)
    except MissingObjectError as exc:
        raise EvidenceUnavailableError(f"video of segment {segment.sequence} is gone") from exc


def decode_frame(video: bytes, offset_s: float) -> np.ndarray:
    """The frame `offset_s` seconds into an MPEG-TS segment, scaled to WIDTH px (BGR).

    Decoded with OpenCV's own FFmpeg (in the opencv wheel), so the image needs no ffmpeg
    binary: frames are read from the segment's start (a 2-s segment is a few dozen frames) up
    to the one at the offset, or the last one when the offset is past the end.
    """
    with tempfile.NamedTemporaryFile(suffix=".ts") as file:
        file.write(video)
        file.flush()
        capture = cv2.VideoCapture(file.name)
        try:
            if not capture.isOpened():
                raise FrameDecodeError("the segment cannot be opened as video")
            fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
            target = max(round(offset_s * fps), 0)
            frame: np.ndarray | None = None
            for _ in range(target + 1):
                ok, image = capture.read()
                if not ok:
                    break
                frame = image
        finally:
            capture.release()
    if frame is None:
        raise FrameDecodeError("no frame could be decoded from the segment")
    height = round(frame.shape[0] * WIDTH / frame.shape[1])
    return cv2.resize(frame, (WIDTH, height), interpolation=cv2.INTER_AREA)


def draw(frame: np.ndarray, box: tuple[float, float, float, float] | None) -> bytes:
    """The frame as JPEG with the normalised `box` outlined."""
    out = frame.copy()
    if box is not None:
        h, w = out.shape[:2]
        x, y, bw, bh = box
        cv2.rectangle(out, (round(x * w), round(y * h)), (round((x + bw) * w), round((y + bh) * h)),
                      BOX_COLOUR, 3)  # fmt: skip
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise FrameDecodeError("JPEG encoding failed")
    return bytes(jpeg.tobytes())


def thumbnails_for(
    session: Session, store: ObjectStore, bucket: str, exposures: Iterable[ReportExposure]
) -> dict[str, bytes]:
    """Thumbnails of the exposures' best frames by exposure id; one that cannot be made is left
    out (the PDF prints the exposure without its picture) and logged."""
    out: dict[str, bytes] = {}
    for e in exposures:
        try:
            out[e.id] = thumbnail(session, store, bucket, e.best_event_id, e.best_item_index)
        except (EvidenceUnavailableError, FrameDecodeError) as exc:
            log.warning("report.evidence_missing", exposure=e.id, reason=str(exc))
    return out
