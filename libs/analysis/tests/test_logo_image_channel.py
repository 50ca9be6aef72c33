"""The image channel's parts: the appearance check at the frame's edge, the library-wide
descriptor index, proposals, a region searched at full resolution, and the downscaled search."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Image
from sightline_analysis.logo.appearance import appearance_score, template
from sightline_analysis.logo.index import DescriptorIndex, ReferenceFeatures
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig, iou
from sightline_analysis.logo.proposals import grown, merged_regions, similarity_region
from sightline_analysis.logo.reference import prepare_reference
from sightline_analysis.synthetic import Placement, background, composite, make_logo

ACME = make_logo("ACME", seed=1)
ZENITH = make_logo("ZENITH", seed=2)


def jpeg(image: Image, quality: int = 70) -> Image:
    """What broadcast compression does to a frame."""
    decoded = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1)
    assert decoded is not None
    return np.asarray(decoded, np.uint8)


def test_a_logo_cut_by_the_frame_edge_is_compared_on_its_visible_part() -> None:
    ref = prepare_reference(ACME)
    tpl = template(ref, 10.0)
    frame, _ = composite(background(3), ACME, Placement((100, 300), 400))
    gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
    # The reference (400 px wide) placed with its left quarter beyond the frame's left edge.
    matrix = np.array([[1.0, 0.0, -100.0], [0.0, 1.0, 200.0], [0.0, 0.0, 1.0]])
    assert appearance_score(tpl, (ref.width, ref.height), gray, matrix) > 0.9
    # Almost entirely outside: too little to compare.
    beyond = np.array([[1.0, 0.0, -380.0], [0.0, 1.0, 200.0], [0.0, 0.0, 1.0]])
    assert appearance_score(tpl, (ref.width, ref.height), gray, beyond) == 0.0


def _features(image: np.ndarray) -> ReferenceFeatures:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    keypoints, descriptors = cv2.SIFT_create().detectAndCompute(gray, None)  # type: ignore[attr-defined]
    points = np.array([k.pt for k in keypoints], np.float32)
    return ReferenceFeatures(points, gray.shape[1], np.asarray(descriptors, np.float32))


def test_the_library_index_groups_a_frames_matches_by_reference() -> None:
    acme, zenith = _features(ACME), _features(ZENITH)
    index = DescriptorIndex([acme, zenith])
    groups = index.correspond(zenith.points, zenith.descriptors, ratio=0.75, neighbours=8,
                              checks=64, tolerance=0.03)  # fmt: skip
    by_reference = {g.reference: len(g.frame_points) for g in groups}
    assert by_reference.get(1, 0) > 0.8 * len(zenith.points)
    assert by_reference.get(0, 0) < 0.05 * len(zenith.points)
    assert all(len(g.reference_points) == len(g.frame_points) for g in groups)


def test_a_proposal_is_where_agreeing_matches_put_the_reference() -> None:
    reference = np.array([[10, 10], [90, 20], [50, 80], [20, 60], [70, 40]], np.float32)
    frame = reference * 0.5 + np.array([300, 200], np.float32)
    found = similarity_region(reference, frame, (100, 100), 2.0, 4)
    assert found is not None
    box, support = found
    assert support == 5
    assert box == pytest.approx((300, 200, 350, 250), abs=0.5)
    assert grown(box, 0.5) == pytest.approx((275, 175, 375, 275), abs=0.5)
    assert merged_regions([(0, 0, 50, 50), (40, 40, 90, 90), (500, 500, 600, 600)], 550, 550, 5) \
        == [(0, 0, 90, 90), (500, 500, 550, 550)]  # fmt: skip


@pytest.fixture(scope="module")
def indexed() -> LogoMatcher:
    m = LogoMatcher()  # downscaled to 960 px, library index
    m.add("acme-1", "acme", ACME)
    m.add("zenith-1", "zenith", ZENITH)
    return m


@pytest.mark.parametrize(
    "place",
    [Placement((400, 300), 260), Placement((900, 500), 120, angle=10)],
    ids=["large", "small"],
)
def test_the_downscaled_indexed_search_reports_frame_pixels(
    indexed: LogoMatcher, place: Placement
) -> None:
    frame, truth = composite(background(7), ACME, place)
    matches = indexed.match(jpeg(frame))
    assert [m.brand for m in matches] == ["acme"]
    assert iou(matches[0].box, truth) > 0.5


def test_a_region_is_searched_at_full_resolution(indexed: LogoMatcher) -> None:
    frame, truth = composite(background(7), ACME, Placement((900, 500), 90))
    x, y, w, h = truth
    matches = indexed.match_region(jpeg(frame), (x - w, y - h, 3 * w, 3 * h))
    assert [m.brand for m in matches] == ["acme"]
    assert iou(matches[0].box, truth) > 0.5
    assert indexed.match_region(jpeg(frame), (0, 0, 300, 200)) == []


def test_the_index_follows_additions_and_removals(indexed: LogoMatcher) -> None:
    m = LogoMatcher(MatcherConfig(library_index=True))
    m.add("acme-1", "acme", ACME)
    frame, _ = composite(background(7), ZENITH, Placement((640, 360), 300))
    assert m.match(frame) == []
    m.add("zenith-1", "zenith", ZENITH)
    assert [x.brand for x in m.match(frame)] == ["zenith"]
    m.remove("zenith-1")
    assert m.match(frame) == []


def test_blurred_views_add_keypoints_and_a_defocused_logo_is_found() -> None:
    m = LogoMatcher(MatcherConfig(blurred_views=((0.5, 2.0), (0.25, 1.5))))
    m.add("acme-1", "acme", ACME)
    assert len(m.features("acme-1")) == 5
    assert all(count > 0 for count in m.features("acme-1"))
    frame, truth = composite(background(4), ACME, Placement((640, 360), 200, blur=2.0))
    [found] = m.match(jpeg(frame))
    assert found.brand == "acme"
    assert iou(found.box, truth) > 0.5


def test_a_large_region_is_searched_shrunk_to_proposal_max_px(
    indexed: LogoMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region whose long side exceeds `proposal_max_px` is described shrunk to it (SIFT's
    CPU grows with the pixels, and it doubles its input inside), and its logo is still found."""
    frame, truth = composite(background(7), ACME, Placement((640, 360), 300))
    x, y, w, h = truth
    described: list[tuple[int, ...]] = []
    features = indexed._features

    def spied(gray: Image, mask: object = None) -> object:
        described.append(gray.shape)
        return features(gray)

    monkeypatch.setattr(indexed, "_features", spied)
    matches = indexed.match_region(jpeg(frame), (x - w / 4, y - h / 4, 1.5 * w, 1.5 * h))
    assert max(described[0]) == indexed.config.proposal_max_px
    assert [m.brand for m in matches] == ["acme"]
    assert iou(matches[0].box, truth) > 0.5
