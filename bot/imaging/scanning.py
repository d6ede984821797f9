"""Reading a membership card's barcode from a photo of the shopper's phone screen."""

from __future__ import annotations

import io
from collections.abc import Iterator

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

#: Photos larger than this (pixels on the long side) are scaled down first: faster, and
#: zxing finds bars at phone-camera resolutions without the full image.
MAX_SIDE = 1600
#: Angles (degrees) tried when the photo as taken does not decode.
ROTATIONS = (12, -12, 25, -25, 40, -40)
#: Refuse decoding absurd images (decompression bombs), in pixels.
MAX_PIXELS = 40_000_000


def decode_card_codes(data: bytes) -> list[str]:
    """Every numeric barcode/QR text found in an image, most likely first; [] if unreadable."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            return []
        image = ImageOps.exif_transpose(image).convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return []
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    for candidate in _candidates(image):
        found = _numeric_codes(candidate)
        if found:
            return found
    return []


def _candidates(image: Image.Image) -> Iterator[Image.Image]:
    """The photo as taken, with more contrast, then turned: 1-D readers scan straight lines,
    and a phone held at an angle puts the bars askew. Later tries run only if earlier fail."""
    yield image
    contrasted = ImageOps.autocontrast(image)
    yield contrasted
    for angle in ROTATIONS:
        yield contrasted.rotate(angle, expand=True, fillcolor=255)


def _numeric_codes(image: Image.Image) -> list[str]:
    found: list[str] = []
    for result in zxingcpp.read_barcodes(image):
        text = result.text.strip()
        if text.isascii() and text.isdigit() and text not in found:
            found.append(text)
    return found
