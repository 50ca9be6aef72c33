"""An uploaded logo judged as the logo detector's matcher will see it, before it is stored.

The analysis code (OpenCV) is imported on the first upload, not when the API starts: a
results-api process that never receives a logo never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sightline_results_api.uploads import NotAnImageError, sniff_image

if TYPE_CHECKING:
    from sightline_analysis.logo.detectability import Detectability


class UndecodableLogoError(NotAnImageError):
    """The bytes announce an image format but do not decode (damaged or truncated file)."""


class OversizedLogoError(ValueError):
    """The image declares more pixels than a reference may have (a decompression bomb, say)."""


class UndetectableLogoError(ValueError):
    """The matcher cannot find this reference at all; `detectability` says why."""

    def __init__(self, detectability: Detectability) -> None:
        reasons = "; ".join(detectability.warnings) or "cannot be found at all"
        super().__init__(f"this logo cannot be detected in video: {reasons}")
        self.detectability = detectability


def assess_logo(data: bytes) -> Detectability:
    """How detectable the reference image `data` is.

    Raises NotAnImageError (not a PNG, JPEG or WebP), OversizedLogoError (declares more pixels
    than allowed: never decoded), UndecodableLogoError (damaged) or UndetectableLogoError (a
    blank, flat or fully transparent image the detector could never find), so such a reference
    is refused at upload instead of skipped by the detector.
    """
    sniff_image(data)
    from sightline_analysis.logo.detectability import describe_detectability  # noqa: PLC0415
    from sightline_analysis.wire import (  # noqa: PLC0415
        ImageTooLargeError,
        UndecodableImageError,
        decode_reference,
    )

    try:
        image = decode_reference(data)
    except ImageTooLargeError as exc:
        raise OversizedLogoError(str(exc)) from exc
    except UndecodableImageError as exc:
        raise UndecodableLogoError(f"the image cannot be decoded: {exc}") from exc
    detectability = describe_detectability(image)
    if not detectability.detectable:
        raise UndetectableLogoError(detectability)
    return detectability
