"""The Cloud Vision contract: results survive the trip through its wire format."""

from __future__ import annotations

from sightline_analysis.executors.vision_api import (
    BatchAnnotateImagesResponse,
    dump,
    response_of,
    results_of,
)
from sightline_common.messages import Box, Point, ResultItem


def test_results_round_trip_through_the_wire_format() -> None:
    logo = ResultItem(
        kind="logo",
        label="acme",
        confidence=0.9,
        box=Box(x=0.25, y=0.5, w=0.25, h=0.25),
        polygon=[
            Point(x=0.25, y=0.5),
            Point(x=0.5, y=0.5),
            Point(x=0.5, y=0.75),
            Point(x=0.25, y=0.75),
        ],
        area_share=0.0625,
    )
    face = ResultItem(
        kind="face", label="face", confidence=0.8, box=Box(x=0, y=0, w=0.5, h=0.5), area_share=0.25
    )
    colour = ResultItem(
        kind="colour",
        label="#ff0000",
        confidence=0.6,
        area_share=0.6,
        attributes={"rgb": [255, 0, 0]},
    )
    wire = dump(
        BatchAnnotateImagesResponse(responses=[response_of([logo, face, colour], (640, 360))])
    )
    first = wire["responses"][0]
    assert first["logoAnnotations"][0]["boundingPoly"]["vertices"][0] == {"x": 160, "y": 180}
    assert first["faceAnnotations"][0]["detectionConfidence"] == 0.8
    assert first["imagePropertiesAnnotation"]["dominantColors"]["colors"][0]["pixelFraction"] == 0.6

    back = results_of(BatchAnnotateImagesResponse.model_validate(wire).responses[0], (640, 360))
    by_kind = {r.kind: r for r in back}
    assert by_kind["logo"].label == "acme"
    assert by_kind["logo"].box == logo.box
    assert by_kind["face"].box == face.box
    assert by_kind["colour"].label == "#ff0000"
