"""The Google Cloud Vision `images:annotate` contract, both ways.

The cloud executor builds requests and reads responses; the local stand-in server reads
requests and builds responses, from the same models, so the two cannot drift apart. Field
names and shapes follow the public REST reference (camelCase on the wire).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sightline_analysis.analyzers.base import normalised_box
from sightline_common.messages import Point, ResultItem

ANNOTATE_PATH = "/v1/images:annotate"
MAX_IMAGES_PER_REQUEST = 16

# Which Vision feature answers for which analyzer key.
FEATURE_OF_ANALYZER = {
    "logo": "LOGO_DETECTION",
    "faces": "FACE_DETECTION",
    "faces_mtcnn": "FACE_DETECTION",
    "labels": "LABEL_DETECTION",
    "text": "TEXT_DETECTION",
    "colours": "IMAGE_PROPERTIES",
}


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Feature(_Wire):
    type: str
    max_results: int = Field(10)


class ImageContent(_Wire):
    content: str


class AnnotateImageRequest(_Wire):
    image: ImageContent
    features: list[Feature]


class BatchAnnotateImagesRequest(_Wire):
    requests: list[AnnotateImageRequest]


class Vertex(_Wire):
    x: float = 0
    y: float = 0


class BoundingPoly(_Wire):
    vertices: list[Vertex] = Field(default_factory=list)


class EntityAnnotation(_Wire):
    """Logo, label and text annotations share this shape."""

    description: str = ""
    score: float = 0.0
    bounding_poly: BoundingPoly | None = None


class FaceAnnotation(_Wire):
    bounding_poly: BoundingPoly | None = None
    detection_confidence: float = Field(0.0)


class Color(_Wire):
    red: float = 0
    green: float = 0
    blue: float = 0


class ColorInfo(_Wire):
    color: Color
    score: float = 0.0
    pixel_fraction: float = Field(0.0)


class DominantColors(_Wire):
    colors: list[ColorInfo] = Field(default_factory=list)


class ImageProperties(_Wire):
    dominant_colors: DominantColors = Field(default_factory=DominantColors)


class Status(_Wire):
    code: int = 0
    message: str = ""


class AnnotateImageResponse(_Wire):
    logo_annotations: list[EntityAnnotation] = Field(default_factory=list)
    label_annotations: list[EntityAnnotation] = Field(default_factory=list)
    text_annotations: list[EntityAnnotation] = Field(default_factory=list)
    face_annotations: list[FaceAnnotation] = Field(default_factory=list)
    image_properties_annotation: ImageProperties | None = None
    error: Status | None = None


class BatchAnnotateImagesResponse(_Wire):
    responses: list[AnnotateImageResponse] = Field(default_factory=list)


def dump(model: BaseModel) -> dict[str, Any]:
    """The wire form (camelCase, no empty optionals)."""
    return model.model_dump(by_alias=True, exclude_none=True)


def _located(
    kind: str, label: str, score: float, poly: BoundingPoly | None, size: tuple[int, int]
) -> ResultItem:
    width, height = size
    if poly is None or not poly.vertices:
        return ResultItem(kind=kind, label=label, confidence=_unit(score), area_share=None)
    xs = [v.x for v in poly.vertices]
    ys = [v.y for v in poly.vertices]
    box = normalised_box((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)), width, height)
    return ResultItem(
        kind=kind,
        label=label,
        confidence=_unit(score),
        box=box,
        polygon=[Point(x=v.x / width, y=v.y / height) for v in poly.vertices],
        area_share=round(box.w * box.h, 6),
    )


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def results_of(response: AnnotateImageResponse, size: tuple[int, int]) -> list[ResultItem]:
    """Sightline results for one image's annotations; `size` is the image's (width, height)."""
    out = [_located("logo", a.description, a.score, a.bounding_poly, size)
           for a in response.logo_annotations]  # fmt: skip
    out += [_located("face", "face", f.detection_confidence, f.bounding_poly, size)
            for f in response.face_annotations]  # fmt: skip
    out += [_located("label", a.description, a.score, None, size)
            for a in response.label_annotations]  # fmt: skip
    if response.text_annotations:  # the first entry is the whole text, the rest its words
        first = response.text_annotations[0]
        out.append(_located("text", first.description, 1.0, first.bounding_poly, size))
    if response.image_properties_annotation is not None:
        for info in response.image_properties_annotation.dominant_colors.colors:
            rgb = (round(info.color.red), round(info.color.green), round(info.color.blue))
            out.append(
                ResultItem(
                    kind="colour",
                    label="#{:02x}{:02x}{:02x}".format(*rgb),
                    confidence=_unit(info.score),
                    area_share=_unit(info.pixel_fraction),
                    attributes={"rgb": list(rgb)},
                )
            )
    return out


def _poly(item: ResultItem, size: tuple[int, int]) -> BoundingPoly | None:
    width, height = size
    if item.polygon:
        return BoundingPoly(vertices=[Vertex(x=round(p.x * width), y=round(p.y * height))
                                      for p in item.polygon])  # fmt: skip
    if item.box is None:
        return None
    b = item.box
    x0, y0 = round(b.x * width), round(b.y * height)
    x1, y1 = round((b.x + b.w) * width), round((b.y + b.h) * height)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return BoundingPoly(vertices=[Vertex(x=x, y=y) for x, y in corners])


def response_of(results: list[ResultItem], size: tuple[int, int]) -> AnnotateImageResponse:
    """One image's annotations built from local results (what the stand-in answers)."""
    response = AnnotateImageResponse()
    for item in results:
        if item.kind == "logo":
            response.logo_annotations.append(
                EntityAnnotation(
                    description=item.label, score=item.confidence, bounding_poly=_poly(item, size)
                )
            )
        elif item.kind == "face":
            response.face_annotations.append(
                FaceAnnotation(
                    bounding_poly=_poly(item, size), detection_confidence=item.confidence
                )
            )
        elif item.kind == "colour":
            r, g, b = item.attributes.get("rgb", [0, 0, 0])
            colours = response.image_properties_annotation or ImageProperties()
            colours.dominant_colors.colors.append(
                ColorInfo(
                    color=Color(red=r, green=g, blue=b),
                    score=item.confidence,
                    pixel_fraction=item.area_share or 0.0,
                )
            )
            response.image_properties_annotation = colours
        elif item.kind == "label":
            response.label_annotations.append(
                EntityAnnotation(description=item.label, score=item.confidence)
            )
    return response
