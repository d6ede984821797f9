"""The Japanese font of the card and rich menu images, and the characters it cannot draw."""

from __future__ import annotations

import functools

from PIL import ImageFont

from bot.config import PROJECT_ROOT

#: Noto Sans CJK JP Bold cut down to JIS X 0208 and ASCII (SIL OFL; see assets/fonts/README.md).
FONT_PATH = PROJECT_ROOT / "assets" / "fonts" / "NotoSansCJKjp-Bold-subset.otf"
#: Size used when probing whether the font has a glyph.
_PROBE_SIZE = 48
#: What ``fitted`` shrinks text by at each step.
_SHRINK = 0.92


@functools.lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The font at a pixel size; basic layout, so the same text gives the same pixels anywhere."""
    return ImageFont.truetype(str(FONT_PATH), size, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=4096)
def has_glyph(char: str) -> bool:
    """Whether the font draws ``char`` (the subset's missing-glyph shape is empty)."""
    return char.isspace() or font(_PROBE_SIZE).getmask(char).getbbox() is not None


def missing_characters(text: str) -> list[str]:
    """The characters of ``text`` the font would draw as blanks, each once, in order."""
    return [char for char in dict.fromkeys(text) if not has_glyph(char)]


def drawable(text: str) -> str:
    """``text`` without the characters the font would draw as blanks (emoji, rare kanji)."""
    return "".join(char for char in text if has_glyph(char)).strip()


def fitted(text: str, size: int, max_width: float, *, smallest: int = 12) -> ImageFont.FreeTypeFont:
    """The font at ``size``, or smaller until ``text`` fits in ``max_width``.

    Shrinking stops once the size is ``smallest`` pixels or less: text longer than that is
    drawn too wide rather than too small to read.
    """
    size = max(1, size)
    current = font(size)
    while size > smallest and current.getlength(text) > max_width:
        size = int(size * _SHRINK)
        current = font(size)
    return current
