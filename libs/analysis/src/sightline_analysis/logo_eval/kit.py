"""The evaluation kit: the brands, one clip per condition, planned from one seed.

`build_kit(seed)` is deterministic: the same seed gives the same clips, frames and truth.
`write_references` puts the reference files on disk as a user would upload them (PNG with
alpha, JPEG, PNG on a white box), for an end-to-end run through the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sightline_analysis.logo_eval.brands import Brand, library_brands, look_alike_brands
from sightline_analysis.logo_eval.plan import plan_clip
from sightline_analysis.logo_eval.scene import ClipSpec, Condition


@dataclass(frozen=True)
class Kit:
    """Clips and brands of one seed; `library` names the brands a matcher is given."""

    seed: int
    clips: tuple[ClipSpec, ...]
    brands: dict[str, Brand]
    library: tuple[str, ...]

    @property
    def look_alikes(self) -> dict[str, str]:
        """Look-alike brand -> the library brand it imitates."""
        return {b.name: b.imitates for b in self.brands.values() if b.imitates is not None}

    def reference_brands(self) -> list[Brand]:
        """The library brands, in library order."""
        return [self.brands[name] for name in self.library]


def build_kit(
    seed: int,
    *,
    shots_per_clip: int = 4,
    conditions: Sequence[Condition] = tuple(Condition),
) -> Kit:
    """One clip per condition (~3 s per shot), all planned from `seed`."""
    library = library_brands()
    fakes = look_alike_brands()
    brands = {b.name: b for b in [*library, *fakes]}
    aspects = {name: b.opaque_box[3] / b.opaque_box[2] for name, b in brands.items()}
    names = [b.name for b in library]
    look_alikes = {b.name: str(b.imitates) for b in fakes}
    clips = []
    for index, condition in enumerate(conditions):
        clip_seed = seed * 1000 + index
        # Rotate the brand order per clip so every brand meets every condition across seeds.
        order = names[index % len(names) :] + names[: index % len(names)]
        clips.append(
            plan_clip(
                f"{index:02d}-{condition}",
                condition,
                clip_seed,
                order,
                aspects,
                shots=shots_per_clip,
                look_alikes=look_alikes,
            )
        )
    return Kit(seed, tuple(clips), brands, tuple(names))


def write_references(kit: Kit, folder: Path) -> dict[str, Path]:
    """Write each library brand's reference file to `folder`; returns brand -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for brand in kit.reference_brands():
        path = folder / f"{brand.name}.{brand.reference_ext}"
        path.write_bytes(brand.reference)
        paths[brand.name] = path
    return paths
