"""The logo evaluation kit: exact truth, deterministic clips, a scorer that counts right."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from sightline_analysis.logo_eval.backgrounds import BackgroundKind, BackgroundSpec
from sightline_analysis.logo_eval.brands import ReferenceStyle, library_brands, look_alike_brands
from sightline_analysis.logo_eval.kit import build_kit, write_references
from sightline_analysis.logo_eval.render import ClipRenderer
from sightline_analysis.logo_eval.runner import decode_clip, encode_clip, run_clip, sample_indices
from sightline_analysis.logo_eval.scene import ClipSpec, Condition, Pose, Shot, Track
from sightline_analysis.logo_eval.scoring import Prediction, Tally, score_clip
from sightline_analysis.logo_eval.table import Scored, mean_row, render_phases
from sightline_analysis.logo_eval.truth import (
    NOBODY,
    OCCLUDER,
    Footprint,
    InstanceTruth,
    read_owner_map,
)

BRANDS = {b.name: b for b in [*library_brands(), *look_alike_brands()]}


def test_owner_map_gives_the_visible_box_and_the_visible_share() -> None:
    owner = np.full((100, 200), NOBODY, np.int16)
    owner[10:30, 20:70] = 0  # instance 0: 50x20, all visible
    owner[50:90, 100:140] = 1  # instance 1: 40x40 footprint, left quarter hidden
    owner[50:90, 100:110] = OCCLUDER
    footprints = [
        Footprint(0, "aurora", (20, 10, 50, 20), 1000),
        Footprint(1, "volta", (100, 50, 40, 40), 1600),
        Footprint(2, "quill", (150, 0, 30, 30), 900),  # hidden entirely: no truth
    ]

    truth = read_owner_map(owner, footprints)

    assert truth == (
        InstanceTruth(0, "aurora", (20.0, 10.0, 50.0, 20.0), 1.0, 50.0),
        InstanceTruth(1, "volta", (110.0, 50.0, 30.0, 40.0), 0.75, 40.0),
    )


def _one_track_clip(pose: Pose, brand: str = "volta", frames: int = 30) -> ClipSpec:
    background = BackgroundSpec(BackgroundKind.GRADIENT, 5, words=False)
    track = Track(0, brand, 0, frames - 1, pose, pose)
    shot = Shot(0, frames - 1, background, tracks=(track,))
    return ClipSpec("test", Condition.SCALE, 3, frames, (shot,))


def test_an_upright_logo_s_truth_is_its_opaque_part_where_it_was_placed() -> None:
    # The opaque VOLTA plate is 400x240; at 200 px wide it covers 200x120 around the centre.
    renderer = ClipRenderer(_one_track_clip(Pose((640, 360), 200)), BRANDS)

    (instance,) = renderer.truth(0)

    assert instance.box == pytest.approx((540, 300, 200, 120), abs=1.0)
    assert instance.visibility == 1.0
    assert instance.must_find


def test_a_logo_half_out_of_frame_is_half_visible_and_boxed_inside_the_frame() -> None:
    renderer = ClipRenderer(_one_track_clip(Pose((0, 360), 200)), BRANDS)

    (instance,) = renderer.truth(0)

    assert instance.visibility == pytest.approx(0.5, abs=0.01)
    assert instance.box == pytest.approx((0, 300, 100, 120), abs=1.0)
    assert instance.full_width == pytest.approx(200, abs=1.0)


def test_a_transparent_logo_s_box_is_its_opaque_part_not_its_canvas() -> None:
    aurora = BRANDS["aurora"]
    renderer = ClipRenderer(_one_track_clip(Pose((640, 360), 336), brand="aurora"), BRANDS)

    (instance,) = renderer.truth(0)

    _, _, w, h = aurora.opaque_box  # 336 wide: the pose keeps the art's own size
    assert instance.box[2:] == pytest.approx((w, h), abs=1.0)
    assert instance.box[2] < 400


def test_the_same_seed_renders_identical_frames_and_another_seed_does_not() -> None:
    def digest(seed: int) -> str:
        kit = build_kit(seed, shots_per_clip=1, conditions=[Condition.MIXED])
        renderer = ClipRenderer(kit.clips[0], kit.brands)
        hasher = hashlib.sha256()
        for index in (0, 40, 70):
            image, truth = renderer.frame(index)
            hasher.update(image.tobytes())
            hasher.update(repr(truth).encode())
        return hasher.hexdigest()

    assert digest(7) == digest(7)
    assert digest(7) != digest(8)


def test_reference_files_are_written_as_users_upload_them(tmp_path: Path) -> None:
    kit = build_kit(1, shots_per_clip=1, conditions=[Condition.LOGO_FREE])

    paths = write_references(kit, tmp_path)

    assert len(paths) == 6
    styles = {b.style for b in kit.reference_brands()}
    assert styles == set(ReferenceStyle)
    for brand in kit.reference_brands():
        image = cv2.imread(str(paths[brand.name]), cv2.IMREAD_UNCHANGED)
        assert image is not None
        assert image.shape[:2] == (240, 400)
        channels = 4 if brand.style is ReferenceStyle.TRANSPARENT_PNG else 3
        assert image.shape[2] == channels
        if channels == 4:
            assert (image[:, :, 3] == 0).mean() > 0.3  # a transparent background
    assert set(kit.look_alikes.values()) <= set(kit.library)
    assert not set(kit.look_alikes) & set(kit.library)


# Scorer: 30 fps, 15 frames per 0.5-s bin. `seen(width, visibility)` is one instance of ACME.
FPS = 30


def seen(brand: str = "acme", width: float = 100, visibility: float = 1.0) -> InstanceTruth:
    return InstanceTruth(0, brand, (10.0, 10.0, width, 50.0), visibility, width)


def test_scorer_counts_bins_appearances_and_screen_time() -> None:
    # 3 s = 6 bins: bins 0-1 positive, bin 2 absent, bins 3-5 positive.
    frames = [(seen(),)] * 30 + [()] * 15 + [(seen(),)] * 45
    predictions = [
        Prediction(0.0, "acme", (10, 10, 100, 50), 0.9),  # bin 0: hit, IoU 1
        Prediction(1.0, "acme", (10, 10, 50, 50), 0.9),  # bin 2: nothing there, false positive
        Prediction(2.0, "acme", (10, 10, 100, 50), 0.9),  # bin 4: hit, 0.5 s after its start
    ]

    tally = score_clip(frames, FPS, predictions, ["acme"])["acme"]

    assert (tally.tp, tally.fp, tally.fn) == (2, 1, 3)
    assert tally.precision == pytest.approx(2 / 3)
    assert tally.recall == pytest.approx(2 / 5)
    assert tally.ious == [1.0, 1.0]
    assert (tally.appearances, tally.found, tally.delays) == (2, 2, [0.0, 0.5])
    assert tally.true_seconds == 2.5
    assert tally.detected_seconds == 1.5  # two hits and one false alarm
    assert tally.screen_time_error == pytest.approx(1.5 / 2.5 - 1)


def test_small_hidden_or_cut_bins_are_dont_care() -> None:
    frames = (
        [(seen(width=50),)] * 15  # bin 0: too small
        + [(seen(visibility=0.3),)] * 15  # bin 1: mostly hidden
        + [(seen(),)] * 7 + [()] * 8  # bin 2: a cut inside the bin
        + [()] * 15  # bin 3: absent
    )  # fmt: skip
    predictions = [Prediction(t, "acme", (10, 10, 100, 50)) for t in (0.1, 0.6, 1.1, 1.6)]

    tally = score_clip(frames, FPS, predictions, ["acme"])["acme"]

    assert (tally.tp, tally.fp, tally.fn, tally.true_bins) == (0, 1, 0, 0)


def test_a_look_alike_reported_as_its_target_is_a_false_positive() -> None:
    frames = [(seen("aurore"),)] * 30
    predictions = [Prediction(0.0, "aurora", (10, 10, 100, 50), 0.8)]

    tallies = score_clip(frames, FPS, predictions, ["aurora"], look_alikes={"aurore": "aurora"})

    assert (tallies["aurora"].tp, tallies["aurora"].fp) == (0, 1)
    assert tallies["aurora"].fp_look_alike == 1
    assert "aurore" not in tallies  # not in the library, never predicted: not scored


def test_an_appearance_found_late_counts_its_delay_but_not_as_found() -> None:
    frames = [(seen(),)] * 90  # 3 s, one appearance of 6 bins
    predictions = [Prediction(2.1, "acme", (10, 10, 100, 50))]

    tally = score_clip(frames, FPS, predictions, ["acme"])["acme"]

    assert (tally.appearances, tally.found, tally.delays) == (1, 0, [2.0])


def test_encoded_run_samples_at_the_requested_rate_and_times_each_call() -> None:
    clip = _one_track_clip(Pose((640, 360), 200), frames=60)
    calls = []

    def detector(image: np.ndarray) -> list[tuple[str, tuple[float, float, float, float], float]]:
        calls.append(image.shape)
        return [("volta", (540.0, 300.0, 200.0, 120.0), 1.0)]

    run = run_clip(clip, BRANDS, detector, sample_fps=2.0, encode=True)

    assert calls == [(720, 1280, 3)] * 4
    # The detector's decode skips non-reference frames: a sample may land a frame or two late.
    assert [p.time for p in run.predictions] == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=0.07)
    assert len(run.costs) == 4
    assert len(run.truth) == 60
    assert sample_indices(clip, 2.0) == [0, 15, 30, 45]
    tally = score_clip(run.truth, clip.fps, run.predictions, ["volta"])["volta"]
    assert (tally.tp, tally.fp, tally.fn) == (4, 0, 0)
    assert tally.mean_iou == pytest.approx(1.0, abs=0.02)


def test_a_clip_encoded_once_is_sampled_on_any_phase_of_the_stream_grid() -> None:
    clip = _one_track_clip(Pose((640, 360), 200), frames=60)
    truth, data = encode_clip(clip, BRANDS)

    own = [f.time for f in decode_clip(data, 2.0)]
    moved = [f.time for f in decode_clip(data, 2.0, 5 / 30)]
    late = [f.time for f in decode_clip(data, 2.0, 13 / 30)]

    assert len(truth) == 60
    # Non-reference frames are skipped: a sample may land a frame or two after its slot.
    assert own == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=0.07)
    assert moved == pytest.approx([1 / 6, 2 / 3, 7 / 6, 5 / 3], abs=0.07)
    # The slot 0.07 s before the clip is within the grid's handover: the first frame fills it.
    assert late == pytest.approx([0.0, 13 / 30, 28 / 30, 43 / 30, 58 / 30], abs=0.07)


def test_the_figure_over_phases_is_each_column_s_mean() -> None:
    # Precision 1.0 and 6/7, recall 0.8 and 0.6, 3 and 2 of 4 appearances, -20 % and -30 %.
    one = Tally(tp=8, fn=2, true_bins=10, detected_bins=8, appearances=4, found=3)
    other = Tally(tp=6, fp=1, fn=4, true_bins=10, detected_bins=7, appearances=4, found=2)

    line = mean_row("mean", [one, other])
    phases = {"phase 0": one, "phase 5": other}
    table = render_phases({k: Scored([], {"clip": {"volta": t}}) for k, t in phases.items()})

    assert line.split()[:3] == ["mean", "0.929", "0.700"]
    assert line.split()[5:8] == ["2.5/4", "3.8/5.0", "-25%"]
    lines = table.splitlines()
    assert lines[-3] == "overall"
    assert lines[-1].split()[4:] == line.split()[1:]
    assert [r.split()[:4] for r in lines[2:4]] == [
        ["phase", "0", "1.000", "0.800"],
        ["phase", "5", "0.857", "0.600"],
    ]
