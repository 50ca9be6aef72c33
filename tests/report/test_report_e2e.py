"""The sponsor report on a stream pushed over RTMP as OBS does (private nginx-rtmp → ingest →
detector-logo → materializer → results-api): a large, central logo on screen throughout is one
long exposure; a small logo in a corner shown twice with a hole longer than the gap tolerance
is two exposures; the large central one scores higher; value = rate card x seconds; the PDF has
both brands in its text and a thumbnail per exposure; the evidence frame has the box drawn."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_flv

pytestmark = pytest.mark.integration

SIZE = (640, 360)  # what is reported does not depend on the resolution; the CPU cost does
FPS = 10  # the detector samples 2 frames/s; more encoded frames only cost CPU
SECONDS = 12
ACME = make_logo("ACME", seed=1)
NOVA = make_logo("NOVA", seed=3)
CENTRE = Placement((320, 180), 210, angle=0)
CORNER = Placement((565, 55), 110, angle=0)
COST_PER_30S = 3000.0
CARD = {"currency": "EUR", "cost_per_30s": COST_PER_30S}


def make_clip(folder: Path) -> Path:
    """12 s of 360p10: ACME centred throughout; NOVA in a corner for 0-4 s and 8-12 s."""
    base = background(7, SIZE)
    with_acme, _ = composite(base, ACME, CENTRE)
    both, _ = composite(with_acme, NOVA, CORNER)
    rng = np.random.default_rng(0)

    def frames() -> Any:
        for i in range(SECONDS * FPS):
            t = i / FPS
            frame = both if t < 4 or t >= 8 else with_acme
            noise = rng.integers(-3, 4, frame.shape, dtype=np.int16)  # int64 noise cost ~4x
            yield np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    return write_flv(frames(), folder / "clip.flv", fps=FPS, gop_seconds=2.0)


def _call(pipeline: Any, method: str, path: str, body: object = None) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{pipeline.api_port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {pipeline.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


@pytest.mark.timeout(900)
def test_a_pushed_stream_with_known_logos_is_reported_exposure_by_exposure(
    tmp_path: Path,
    pipeline_harness: ModuleType,
) -> None:
    clip = make_clip(tmp_path)
    with pipeline_harness.Pipeline(
        detectors=1, log_dir=tmp_path / "logs", shed_late_segments=False
    ) as pipeline:
        pipeline.add_logo("acme", ACME, ".png")
        pipeline.add_logo("nova", NOVA, ".png")
        stream = pipeline.add_stream("sponsor report e2e")
        _call(pipeline, "PUT", f"/api/streams/{stream.stream_id}/rate-card", CARD)
        pipeline.start_workers()
        stream.publish(clip)
        url = f"/api/reports/exposure?streams={stream.stream_id}"
        deadline = time.monotonic() + 400
        doc: dict[str, Any] = {}
        # Detections land segment by segment: wait until the report has the expected shape.
        while time.monotonic() < deadline:
            doc = json.loads(_call(pipeline, "GET", url))
            acme = [e for e in doc["exposures"] if e["brand"] == "acme"]
            nova = [e for e in doc["exposures"] if e["brand"] == "nova"]
            if len(acme) == 1 and len(nova) == 2 and acme[0]["end"] >= SECONDS - 1:
                break
            time.sleep(3)
        pdf = _call(pipeline, "GET", f"{url}&format=pdf")
        logos = json.loads(
            _call(pipeline, "GET", f"/api/streams/{stream.stream_id}/detections?kind=logo")
        )["items"]
        best = next(e for e in doc["exposures"] if e["brand"] == "acme")
        jpeg = _call(
            pipeline,
            "GET",
            f"/api/reports/evidence/{best['best_event_id']}/{best['best_item_index']}",
        )

    brands = {b["brand"]: b for b in doc["brands"]}
    assert set(brands) == {"acme", "nova"}, doc["brands"]
    acme_exposures = [e for e in doc["exposures"] if e["brand"] == "acme"]
    nova_exposures = [e for e in doc["exposures"] if e["brand"] == "nova"]
    # One appearance is one exposure, however many sampled frames it spans.
    assert len(acme_exposures) == 1, acme_exposures
    assert acme_exposures[0]["duration"] >= SECONDS - 1.5
    assert acme_exposures[0]["sightings"] >= 2 * (SECONDS - 2)  # 2 frames/s
    # Two appearances with a 4-s hole: two exposures, around 0-4 s and 8-12 s.
    assert len(nova_exposures) == 2, nova_exposures
    assert nova_exposures[0]["end"] <= 5.0 <= 7.5 <= nova_exposures[1]["start"]
    # Larger and central beats small in a corner, factor by factor and overall.
    acme, nova = acme_exposures[0], nova_exposures[0]
    assert acme["factors"]["size"] > nova["factors"]["size"]
    assert acme["factors"]["position"] > nova["factors"]["position"]
    assert acme["quality"] > nova["quality"]
    # Clarity comes from how sharp the detector saw each logo (the clip is not blurred).
    assert logos, "no logo detections listed"
    assert all(0.4 < item["attributes"]["sharpness"] <= 1.0 for item in logos), logos[:3]
    assert acme["factors"]["clarity"] > 0.3
    # value = rate card x seconds (full) and x quality-weighted seconds (adjusted), to the cent
    per_s = COST_PER_30S / 30
    assert brands["acme"]["value"]["full"] == pytest.approx(
        brands["acme"]["seconds"] * per_s, abs=0.1
    )
    assert brands["nova"]["value"]["quality"] == pytest.approx(
        brands["nova"]["quality_seconds"] * per_s, abs=0.1
    )
    assert doc["detectors"][0]["name"] == "logo"
    assert doc["logo_library"]["logos"] == 2
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "acme" in text
    assert "nova" in text
    # 3 charts + a thumbnail for each of the 3 exposures
    images = sum(len(list(p.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))) for p in document)
    assert images == 6
    # The evidence: the frame with the box drawn (amber) where the logo is.
    picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None
    assert picture.shape[1] == 480
    x, y, w, _h = best["best_box"]
    top_edge = picture[round(y * picture.shape[0]), round((x + w / 2) * picture.shape[1])]
    assert top_edge[2] > 180, top_edge  # BGR amber (0, 200, 255)
    assert top_edge[0] < 90, top_edge
