"""The card image: a crisp, scannable EAN-13 barcode with the digits under it, as PNG."""

from __future__ import annotations

import io

import barcode
from PIL import Image, ImageDraw, ImageFont

#: Pixels per barcode module: integer widths keep every bar edge sharp for scanners.
MODULE_PX = 8
#: Light margin left and right of the bars, in modules (EAN-13 asks for at least 11 / 7).
QUIET_MODULES = 12
WIDTH, HEIGHT = 1024, 512
BAR_TOP, BAR_HEIGHT = 56, 320


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def ean13_modules(number: str) -> str:
    """The 95 module pattern ('1' = bar) of an EAN-13 number."""
    return barcode.get("ean13", number).build()[0]


def render_card_png(number: str, accent: str = "#1E1E1E") -> bytes:
    """A 1024x512 PNG with the member number as an EAN-13 barcode and in digits."""
    modules = ean13_modules(number)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    bars_width = (len(modules) + 2 * QUIET_MODULES) * MODULE_PX
    left = (WIDTH - bars_width) // 2 + QUIET_MODULES * MODULE_PX
    ink = _hex(accent)
    for index, module in enumerate(modules):
        if module == "1":
            x = left + index * MODULE_PX
            draw.rectangle([x, BAR_TOP, x + MODULE_PX - 1, BAR_TOP + BAR_HEIGHT], fill=ink)
    font = ImageFont.load_default(size=56)
    spaced = f"{number[0]} {number[1:7]} {number[7:]}"
    draw.text((WIDTH // 2, BAR_TOP + BAR_HEIGHT + 70), spaced, fill=ink, font=font, anchor="mm")
    out = io.BytesIO()
    image.convert("L").save(out, format="PNG", optimize=True)
    return out.getvalue()
