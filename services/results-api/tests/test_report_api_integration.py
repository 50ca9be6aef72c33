"""`/api/reports/exposure` and `/api/streams/{id}/rate-card` on the real database: exposures
merge across segments, short ones are not counted, value = rate card x weighted seconds, and
the CSV and PDF come out of the same figures."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from sightline_common.envelope import wrap
from sightline_common.messages import (
    Box,
    Detection,
    DetectorInfo,
    Envelope,
    ExecutorInfo,
    ExecutorKind,
    FrameResult,
    ResultItem,
    SegmentRef,
    Timings,
)
from sightline_results_api.report import query
from sightline_results_api.report.exposures import Measured

pytestmark = pytest.mark.integration

CARD = {"currency": "EUR", "cost_per_30s": 3000.0, "audience": 100_000, "cpm": 15.0}


@pytest.fixture
def stream_with_logos(
    client: TestClient,
    new_stream: str,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> str:
    # acme and globex in every frame of 5 two-second segments (0-10 s); `flash` in one 0.4-s
    # segment at 40 s (too short to count); a reanalysis run sees only acme.
    store_detections(
        [detection_factory(new_stream, seq) for seq in range(5)]
        + [detection_factory(new_stream, 100, labels=("flash",), frames=1, duration=0.4)]
        + [detection_factory(new_stream, seq, labels=("acme",), run_id="r1") for seq in range(2)]
    )
    return new_stream


def test_rate_card_is_set_read_and_removed(client: TestClient, new_stream: str) -> None:
    assert client.get(f"/api/streams/{new_stream}/rate-card").status_code == 404
    put = client.put(f"/api/streams/{new_stream}/rate-card", json=CARD)
    assert put.status_code == 200, put.text
    assert client.get(f"/api/streams/{new_stream}/rate-card").json() == CARD
    bad = client.put(f"/api/streams/{new_stream}/rate-card", json={**CARD, "currency": "euro"})
    assert bad.status_code == 422
    assert client.delete(f"/api/streams/{new_stream}/rate-card").status_code == 204
    assert client.delete(f"/api/streams/{new_stream}/rate-card").status_code == 404
    assert client.put("/api/streams/nope/rate-card", json=CARD).status_code == 404


def test_report_merges_exposures_and_prices_them(
    client: TestClient, stream_with_logos: str
) -> None:
    stream = stream_with_logos
    client.put(f"/api/streams/{stream}/rate-card", json=CARD)
    response = client.get("/api/reports/exposure", params={"streams": stream, "window": 5})
    assert response.status_code == 200, response.text
    doc = response.json()
    brands = {b["brand"]: b for b in doc["brands"]}
    assert set(brands) == {"acme", "globex", "flash"}
    acme = brands["acme"]
    assert (acme["exposures"], acme["seconds"], acme["short"]) == (1, 10.0, 0)
    assert acme["share_of_voice"] == pytest.approx(0.5)
    assert acme["value"]["full"] == pytest.approx(10.0 * 100.0)
    assert acme["value"]["quality"] == pytest.approx(acme["quality_seconds"] * 100.0, abs=0.06)
    assert acme["value"]["audience"] == pytest.approx(
        acme["quality_seconds"] * 100 * 15 / 30, abs=0.06
    )
    flash = brands["flash"]
    assert (flash["exposures"], flash["short"], flash["seconds"]) == (0, 1, 0.0)
    # the quantities are rounded (seconds to ms, money to cents), hence "within rounding"
    # the two brands share every frame: neither is solus
    assert [e["factors"]["solus"] for e in doc["exposures"]] == [0.5, 0.5]
    assert {e["brand"] for e in doc["exposures"]} == {"acme", "globex"}
    assert doc["currency"] == "EUR"
    assert doc["detectors"] == [{"name": "logo", "version": "1.0.0", "config_hash": "abc"}]
    assert [len(w["brands"]) for w in doc["windows"]][:2] == [2, 0]
    assert doc["methodology"]["quality_version"] == "q2"
    assert doc["warnings"] == []


def test_report_on_a_reanalysis_run_and_a_range(client: TestClient, stream_with_logos: str) -> None:
    stream = stream_with_logos
    run = client.get("/api/reports/exposure", params={"streams": stream, "run": "r1"}).json()
    assert [(b["brand"], b["seconds"]) for b in run["brands"]] == [("acme", 4.0)]
    assert run["warnings"] == [f"stream {stream} (cam) has no rate card: not valued"]
    assert run["brands"][0]["value"]["full"] is None
    part = client.get(
        "/api/reports/exposure", params={"streams": stream, "from": 2, "to": 6}
    ).json()
    assert {b["brand"]: b["seconds"] for b in part["brands"]} == {"acme": 4.0, "globex": 4.0}


def test_a_reanalysis_run_is_compared_with_live(
    client: TestClient,
    stream_with_logos: str,
    sightline_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    stream = stream_with_logos
    params = {"streams": stream, "run": "r1", "compare": "live"}
    doc = client.get("/api/reports/exposure", params=params).json()
    comparison = doc["comparison"]
    assert comparison["baseline_run"] == "live"
    assert [d["name"] for d in comparison["baseline_detectors"]] == ["logo"]
    rows = {b["brand"]: b for b in comparison["brands"]}
    assert list(rows) == ["globex", "acme"]  # the largest change first; `flash` never counted
    acme, globex = rows["acme"], rows["globex"]
    assert (acme["seconds"], acme["baseline_seconds"], acme["delta_seconds"]) == (4.0, 10.0, -6.0)
    assert (acme["only_here"], acme["only_baseline"]) == (0, 0)  # the same appearance
    assert (globex["exposures"], globex["baseline_exposures"], globex["only_baseline"]) == (0, 1, 1)
    assert (
        client.get("/api/reports/exposure", params={"streams": stream}).json()["comparison"] is None
    )
    table = client.get(
        "/api/reports/exposure", params={**params, "format": "csv", "table": "comparison"}
    )
    csv_rows = {r["brand"]: r for r in csv.DictReader(io.StringIO(table.text))}
    assert (csv_rows["acme"]["run"], csv_rows["acme"]["baseline_seconds"]) == ("r1", "10.0")
    pdf = client.get("/api/reports/exposure", params={**params, "format": "pdf"})
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.content))
    assert "Run r1 compared with run live" in text
    typo = client.get("/api/reports/exposure", params={**params, "compare": "r2"}).json()
    assert "run r2 has no logo detections on these streams and range" in typo["warnings"]
    same = client.get("/api/reports/exposure", params={**params, "compare": "r1"})
    assert same.status_code == 422
    lonely = client.get(
        "/api/reports/exposure", params={"streams": stream, "format": "csv", "table": "comparison"}
    )
    assert lonely.status_code == 422
    cli = sightline_cli("report", "--streams", stream, "--run", "r1", "--compare", "live")
    assert json.loads(cli.stdout)["comparison"]["brands"][0]["brand"] == "globex"


def test_report_as_csv_and_pdf(client: TestClient, stream_with_logos: str) -> None:
    stream = stream_with_logos
    client.put(f"/api/streams/{stream}/rate-card", json=CARD)
    params = {"streams": stream, "format": "csv"}
    brands = client.get("/api/reports/exposure", params=params)
    assert brands.headers["content-type"].startswith("text/csv")
    assert "attachment" in brands.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(brands.text)))
    assert {(r["stream_id"], r["brand"]) for r in rows} >= {("*", "acme"), (stream, "acme")}
    exposures = client.get("/api/reports/exposure", params={**params, "table": "exposures"})
    assert len(list(csv.DictReader(io.StringIO(exposures.text)))) == 2
    pdf = client.get("/api/reports/exposure", params={"streams": stream, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "acme" in text
    assert "globex" in text
    assert "logo 1.0.0" in text


def test_report_refusals(client: TestClient, stream_with_logos: str, new_stream: str) -> None:
    other = client.post("/api/streams", json={"name": "b", "source": {"kind": "test"}}).json()
    client.put(f"/api/streams/{stream_with_logos}/rate-card", json=CARD)
    client.put(f"/api/streams/{other['id']}/rate-card", json={**CARD, "currency": "USD"})
    url = "/api/reports/exposure"
    mixed = client.get(url, params={"streams": f"{stream_with_logos},{other['id']}"})
    assert mixed.status_code == 422
    assert "EUR, USD" in mixed.json()["detail"]
    assert client.get(url, params={"streams": "nope"}).status_code == 404
    assert client.get(url, params={"streams": new_stream, "from": 5, "to": 1}).status_code == 422
    assert client.get(url, params={"streams": new_stream, "window": 1e-6}).status_code == 422
    assert client.get(url, params={"streams": ","}).status_code == 422


Item = tuple[str, tuple[float, float, float, float], float]  # label, box, confidence


def _detection(
    stream: str,
    seq: int,
    frames: dict[float, list[Item]],
    span: float,
    attributes: dict[str, object] | None = None,
) -> Envelope:
    """A Detection of one segment whose sampled frames (stream time -> items) stand for `span`
    seconds each; every item carries `attributes`."""
    detection = Detection(
        stream_id=stream,
        segment=SegmentRef(sequence=seq, bucket="b", object_key=f"{seq}.ts",
                           media_start=min(frames), duration=span * len(frames)),
        run_id="live",
        detector=DetectorInfo(name="logo", version="1.0.0", config_hash="abc"),
        executor=ExecutorInfo(kind=ExecutorKind.local, latency_ms=1.0),
        frames=[
            FrameResult(media_ts=ts, results=[
                ResultItem(kind="logo", label=label, confidence=conf,
                           box=Box(x=x, y=y, w=w, h=h), area_share=w * h,
                           attributes=attributes or {})
                for label, (x, y, w, h), conf in items
            ])
            for ts, items in frames.items()
        ],
        timings=Timings(total_ms=1.0),
    )  # fmt: skip
    return wrap(detection, key=stream, producer="test", event_id=uuid.uuid4())


CENTRE = (0.4, 0.4, 0.2, 0.2)


def _measured(engine: Engine, stream: str, gap_s: float = 1.0) -> list[Measured]:
    with Session(engine) as session:
        return query.exposures(session, [stream], "live", 0.0, None, gap_s=gap_s)


def test_sightings_merge_into_one_exposure_per_appearance(
    engine: Engine, new_stream: str, store_detections: Callable[[list[Envelope]], None]
) -> None:
    acme: list[Item] = [("acme", CENTRE, 0.8)]
    # 0.5-s frames: 0-2 s seen, 2.5 missed (a 0.5-s hole: within 1 s), 3-4 s seen, then a
    # 2-s hole (4.5-6.5 missed) and 6.5-7 seen again: two appearances
    times = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 6.5, 7.0]
    store_detections([_detection(new_stream, i, {t: acme}, 0.5) for i, t in enumerate(times)])
    first, second = _measured(engine, new_stream)
    assert (first.start, first.end, first.sightings) == (0.0, 4.5, 8)
    assert (second.start, second.end, second.sightings) == (6.5, 7.5, 2)
    [everything] = _measured(engine, new_stream, gap_s=2.5)  # a wider tolerance bridges it
    assert everything.duration == 7.5


def test_measures_per_frame_clutter_and_duplicates(
    engine: Engine, new_stream: str, store_detections: Callable[[list[Envelope]], None]
) -> None:
    big_corner_cut = (0.0, 0.0, 0.5, 0.4)
    store_detections([
        # acme twice in frame 0 (the larger box counts), with globex beside it
        _detection(new_stream, 0, {0.0: [("acme", CENTRE, 0.6), ("acme", big_corner_cut, 0.9),
                                         ("globex", CENTRE, 0.8)],
                                   0.5: [("acme", CENTRE, 0.6)]}, 0.5),
    ])  # fmt: skip
    acme, globex = _measured(engine, new_stream)
    assert (acme.brand, acme.sightings, acme.duration) == ("acme", 2, 1.0)
    assert acme.mean_area == pytest.approx((0.2 + 0.04) / 2)
    assert acme.mean_confidence == pytest.approx((0.9 + 0.6) / 2)
    assert acme.edge_share == pytest.approx(0.5)  # the corner box touches the edge
    assert acme.mean_centre_distance == pytest.approx(math.hypot(0.25, 0.3) / 2)
    assert acme.mean_solus == pytest.approx((0.5 + 1.0) / 2)  # with globex, then alone
    assert acme.best_box == big_corner_cut
    assert (globex.sightings, globex.mean_solus, globex.duration) == (1, 0.5, 0.5)


def test_sharpness_is_averaged_over_the_sightings_that_have_one(
    engine: Engine, new_stream: str, store_detections: Callable[[list[Envelope]], None]
) -> None:
    acme: list[Item] = [("acme", CENTRE, 0.8)]
    store_detections([
        _detection(new_stream, 0, {0.0: acme}, 0.5, {"sharpness": 0.6}),
        _detection(new_stream, 1, {0.5: acme}, 0.5, {"sharpness": 0.8}),
        _detection(new_stream, 2, {1.0: acme}, 0.5, {"sharpness": "crisp"}),  # not a number
        _detection(new_stream, 3, {1.5: acme}, 0.5),  # an older detector: none
    ])  # fmt: skip
    [acme_exposure] = _measured(engine, new_stream)
    assert acme_exposure.sightings == 4
    assert acme_exposure.mean_sharpness == pytest.approx(0.7)
    assert _measured(engine, new_stream, gap_s=1.0)[0].mean_confidence == pytest.approx(0.8)


def test_cli_writes_the_report(
    sightline_cli: Callable[..., subprocess.CompletedProcess[str]],
    client: TestClient,
    stream_with_logos: str,
    tmp_path: Path,
) -> None:
    client.put(f"/api/streams/{stream_with_logos}/rate-card", json=CARD)
    as_json = sightline_cli("report", "--streams", stream_with_logos)
    doc = json.loads(as_json.stdout)
    assert [b["brand"] for b in doc["brands"]][:2] == ["acme", "globex"]
    out = tmp_path / "r.pdf"
    done = sightline_cli(
        "report", "--streams", stream_with_logos, "--format", "pdf", "-o", str(out)
    )
    assert "2 exposures" in done.stderr
    text = "".join(
        p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(out.read_bytes())
    )
    assert "globex" in text
    csv_out = sightline_cli("report", "--streams", stream_with_logos, "--format", "csv")
    assert csv_out.stdout.startswith("stream_id,brand,")
    missing = sightline_cli("report", "--streams", "nope", ok=False)
    assert missing.returncode == 1
    assert "StreamNotFoundError" in missing.stderr
