"""The Japanese font of the card image, and what to do with characters it cannot draw."""

from __future__ import annotations

import functools

from PIL import ImageFont

from bot.config import PROJECT_ROOT

#: Noto Sans CJK JP Bold cut down to JIS X 0208 and ASCII (SIL OFL; see assets/fonts/README.md).
FONT_PATH = PROJECT_ROOT / "assets" / "fonts" / "NotoSansCJKjp-Bold-subset.otf"
#: Size used when probing whether the font has a glyph.
_PROBE_SIZE = 48


@functools.lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The font at a pixel size; basic layout, so the same text gives the same pixels anywhere."""
    return ImageFont.truetype(str(FONT_PATH), size, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=4096)
def has_glyph(char: str) -> bool:
    """Whether the font draws ``char`` (the subset's missing-glyph shape is empty)."""
    return char.isspace() or font(_PROBE_SIZE).getmask(char).getbbox() is not None


def drawable(text: str) -> str:
    """``text`` without the characters the font would draw as blanks (emoji, rare kanji)."""
    return "".join(char for char in text if has_glyph(char)).strip()


def fitted(text: str, size: int, max_width: float) -> ImageFont.FreeTypeFont:
    """The font at ``size``, or smaller until ``text`` fits in ``max_width`` (never below 12)."""
    current = font(size)
    while size > 12 and current.getlength(text) > max_width:
        size = int(size * 0.92)
        current = font(size)
    return current
