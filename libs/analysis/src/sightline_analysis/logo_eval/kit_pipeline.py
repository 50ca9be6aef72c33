"""The logo pipeline set up for the evaluation kit as the logo detector sets itself up.

Shared by the in-process kit bench and the end-to-end one (which gives the live detector the
same trained net), so both measure the same matcher, net and pipeline settings.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.learned.model import HeatmapNet
from sightline_analysis.logo.learned.proposals import ProposalConfig
from sightline_analysis.logo.learned.train import brand_classes, train
from sightline_analysis.logo.learned.weights import (
    library_key,
    net_from_bytes,
    net_to_bytes,
    reference_digest,
)
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline
from sightline_analysis.logo_eval.brands import Brand
from sightline_analysis.logo_eval.runner import BySegment
from sightline_analysis.logo_eval.truth import Box
from sightline_analysis.wire import decode_reference


def references(brands: Sequence[Brand]) -> list[tuple[str, Image]]:
    """Each brand's reference as the logo library decodes the uploaded file."""
    return [(b.name, decode_reference(b.reference)) for b in brands]


def net_key(brands: Sequence[Brand]) -> str:
    """The key a detector looks the kit library's net up under (default recipe)."""
    recipe = ProposalConfig().recipe
    return library_key(((b, reference_digest(i)) for b, i in references(brands)), recipe)


def proposal_net(brands: Sequence[Brand], weights: Path | None) -> tuple[HeatmapNet, str]:
    """The net for the kit's library and where it came from: `weights` (class names from its
    `.json` beside it, else the sorted brands), else trained with the default recipe on the
    references only (~500 CPU-s; kept in the cache folder under the library key, so a second
    run reuses it)."""
    decoded = references(brands)
    if weights is not None:
        meta = weights.with_suffix(".json")
        names = json_names(meta) if meta.exists() else brand_classes(decoded)
        return net_from_bytes(weights.read_bytes(), names), str(weights)
    cache = Path(os.environ.get("SIGHTLINE_CACHE_DIR", Path.home() / ".cache" / "sightline"))
    path = cache / "proposals" / f"{net_key(brands)}.keras"
    if path.exists():
        return net_from_bytes(path.read_bytes(), brand_classes(decoded)), str(path)
    recipe = ProposalConfig().recipe
    started = time.process_time()
    net = train(decoded, recipe)
    print(f"  trained the proposal net: {time.process_time() - started:.0f} CPU-s, {recipe}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(net_to_bytes(net))
    return net, f"trained, {path}"


def json_names(meta: Path) -> list[str]:
    """The class names a net's `.json` file lists under `names`."""
    return [str(n) for n in json.loads(meta.read_text())["names"]]


def add_references(matcher: LogoMatcher, brands: Sequence[Brand]) -> None:
    """Give the matcher each reference as the logo library decodes the uploaded file."""
    for brand in brands:
        try:
            matcher.add(f"{brand.name}.{brand.reference_ext}", brand.name,
                        decode_reference(brand.reference))  # fmt: skip
        except ValueError as exc:  # the library skips such a reference too (logged there)
            print(f"  reference {brand.name} refused by the matcher: {exc}")


def pipeline_detector(pipeline: LogoPipeline) -> BySegment:
    """The pipeline as the detector runs it: a segment's sampled frames at once."""
    return stretched_detector(lambda: pipeline, 0, 0)


def stretched_detector(
    new_pipeline: Callable[[], LogoPipeline], segments: int, warm_up: int
) -> BySegment:
    """`pipeline_detector` as a reanalysis run analyses a stream (`replay/stretches.py`): a
    fresh pipeline every `segments` segments (0: one for the whole stream), first given the
    `warm_up` segments before, whose answers the stretch before gave already. Against one
    pipeline through the stream, it says what cutting a run into stretches costs."""
    current = [new_pipeline()]
    recent: deque[list[Frame]] = deque(maxlen=warm_up)
    seen = [0]

    def detect(images: Sequence[Image]) -> list[list[tuple[str, Box, float]]]:
        frames = [Frame(image, 0.0) for image in images]
        if segments and seen[0] and seen[0] % segments == 0:
            current[0] = new_pipeline()
            for earlier in recent:
                current[0].process_segment(earlier)
        seen[0] += 1
        recent.append(frames)
        found = current[0].process_segment(frames)
        return [[(s.brand, s.box, s.confidence) for s in each] for each in found]

    def late() -> list[tuple[int, tuple[str, Box, float]]]:
        return [(each.ago, (each.sighting.brand, each.sighting.box, each.sighting.confidence))
                for each in current[0].late]  # fmt: skip

    return BySegment(detect, late)
