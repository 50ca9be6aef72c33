"""Synthetic training crops: deterministic given a seed, labelled where a logo lies."""

from __future__ import annotations

import numpy as np

from sightline_analysis.logo.learned.sprites import library_sprites, sprites
from sightline_analysis.logo.learned.synth import STRIDE, dataset, labels
from sightline_analysis.synthetic import make_logo, make_transparent_logo


def test_the_same_seed_gives_the_same_crops_and_another_seed_others() -> None:
    library = library_sprites([(1, make_logo("ACME", seed=1)), (2, make_logo("VOLT", seed=2))])
    images, maps = dataset(7, library, 24, size=64)
    again, again_maps = dataset(7, library, 24, size=64)
    other, _ = dataset(8, library, 24, size=64)
    assert images.shape == (24, 64, 64, 3)
    assert maps.shape == (24, 64 // STRIDE, 64 // STRIDE)
    assert np.array_equal(images, again)
    assert np.array_equal(maps, again_maps)
    assert not np.array_equal(images, other)
    assert set(np.unique(maps)) <= {0, 1, 2}
    assert (maps > 0).any()  # some crops hold a logo


def test_a_cell_is_labelled_with_the_brand_covering_30_percent_of_it() -> None:
    owner = np.zeros((32, 32), np.int32)
    owner[0:8, 0:8] = 2  # the whole first cell
    owner[8:16, 8:11] = 1  # 3 of 8 columns: 37.5 % of cell (1, 1)
    owner[16:24, 16:18] = 1  # 2 of 8 columns: 25 % of cell (2, 2)
    expected = np.zeros((4, 4), np.uint8)
    expected[0, 0] = 2
    expected[1, 1] = 1
    assert np.array_equal(labels(owner), expected)


def test_a_transparent_reference_is_cropped_to_its_opaque_part() -> None:
    logo = make_transparent_logo("AURORA", seed=3)
    (sprite,) = sprites(logo, 4)
    ys, xs = np.nonzero(logo[:, :, 3] >= 128)
    assert sprite.label == 4
    assert sprite.alpha.shape == (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
    # Premultiplied: nothing coloured where the reference is clear.
    assert float(np.abs(sprite.colour[sprite.alpha == 0]).max(initial=0.0)) == 0.0


def test_a_mark_on_a_flat_box_is_also_used_without_the_box() -> None:
    logo = np.full((120, 240, 3), 255, np.uint8)
    logo[30:90, 40:200] = (20, 40, 200)
    boxed, bare = sprites(logo, 1)
    assert boxed.alpha.shape == (120, 240)
    assert float(boxed.alpha.min()) == 1.0
    # The box is cleared: the second sprite is the mark alone (its edge softened by a pixel).
    height, width = bare.alpha.shape
    assert abs(height - 60) <= 2
    assert abs(width - 160) <= 2
