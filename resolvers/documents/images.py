"""Photos re-encoded without what they tell about the resident: EXIF (GPS, device), XMP, IPTC."""

from __future__ import annotations

import io
from typing import IO

from PIL import Image, ImageOps, JpegImagePlugin

from resolvers.documents import checks

# The quality of a rotated JPEG whose quantisation tables could not be read.
FALLBACK_QUALITY = 92
_FORMATS = {checks.JPEG: "JPEG", checks.PNG: "PNG"}
_ORIENTATION = 0x0112


class ImageRefused(Exception):
    """The image cannot be cleaned: too many pixels (a decompression bomb) or undecodable."""

    def __init__(self, too_large: bool) -> None:
        super().__init__("too many pixels" if too_large else "unreadable")
        self.too_large = too_large


def cleanable(content_type: str) -> bool:
    return content_type in _FORMATS


def strip_metadata(source: IO[bytes], content_type: str, *, max_pixels: int) -> bytes:
    """The image drawn again with no metadata but its colour profile, turned upright first
    (the EXIF orientation goes with the EXIF). Blocking: run it in a thread."""
    expected = _FORMATS[content_type]
    try:
        # Between Pillow's limit and twice that, Pillow only warns (an error where warnings
        # are errors); our own limit below refuses those in any case.
        image = Image.open(source, formats=[expected])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(too_large=True) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRefused(too_large=False) from None
    with image:
        width, height = image.size
        # The header's size is checked before any pixel is decoded.
        if width * height > max_pixels:
            raise ImageRefused(too_large=True)
        try:
            image.load()
            return _encode(image, expected)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise ImageRefused(too_large=False) from None


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # broken EXIF says nothing reliable about orientation: leave it as is
        return 1


def _encode(image: Image.Image, format: str) -> bytes:
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    upright: Image.Image = image
    if _orientation(image) != 1:
        upright = ImageOps.exif_transpose(image)
    # Nothing from the source's info is carried over unless named below: Pillow writes a
    # JPEG comment and a PNG's profile and transparency from it when not told otherwise.
    upright.info = {}
    options: dict[str, object] = {}
    if icc_profile:
        # A colour profile describes the screen or camera model's colours, not the person;
        # without it the photo shows wrong colours.
        options["icc_profile"] = icc_profile
    if format == "JPEG":
        # The original's quantisation tables and subsampling: the closest re-encoding to
        # what was uploaded, at about its size ("keep" is only allowed on the image itself).
        if upright is image:
            options.update(quality="keep", subsampling="keep")
        else:
            tables = getattr(image, "quantization", None)
            options["subsampling"] = JpegImagePlugin.get_sampling(image)
            if tables:
                options["qtables"] = tables
            else:
                options["quality"] = FALLBACK_QUALITY
    elif transparency is not None:
        options["transparency"] = transparency
    out = io.BytesIO()
    # Optimised entropy coding (JPEG Huffman tables, PNG filters): the copy is rarely larger
    # than the upload, which is what the wallet reserved for it.
    upright.save(out, format=format, optimize=True, **options)
    return out.getvalue()
