"""The entrance check-in QR code (for the entrance screen) and a printable poster."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.domain.colours import rgb
from bot.domain.program import Program
from bot.imaging.card_image import BAR_COLOUR, ink_rgb, qr_matrix
from bot.imaging.fonts import drawable, fitted, font
from bot.messages.texts import text

#: Quiet zone around a QR code, in modules (the standard asks for 4).
QUIET = 4
#: The poster: A4 at 150 dpi.
POSTER_SIZE = (1240, 1754)


def _qr(link: str, module: int) -> Image.Image:
    matrix = qr_matrix(link)
    size = (len(matrix) + 2 * QUIET) * module
    image = Image.new("1", (size, size), 1)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = (x + QUIET) * module, (y + QUIET) * module
                draw.rectangle((x0, y0, x0 + module - 1, y0 + module - 1), fill=0)
    return image


def qr_png(link: str, module: int = 10) -> bytes:
    """The QR code of ``link`` as a small black-and-white PNG."""
    out = io.BytesIO()
    _qr(link, module).save(out, format="PNG", optimize=True)
    return out.getvalue()


def poster_png(program: Program, store_name: str, link: str, day_label: str) -> bytes:
    """A poster for the entrance: the program's colours, the store, how to check in, the QR
    code of ``link``, and the day its code is good for (Japanese, as the shoppers read it)."""
    width, height = POSTER_SIZE
    design = program.card
    image = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    band = 360
    draw.rectangle((0, 0, width, band), fill=rgb(design.background))
    ink = ink_rgb(design.background)
    name = drawable(store_name) or "-"
    draw.text((width // 2, 150), name, fill=ink, font=fitted(name, 96, width - 160), anchor="mm")
    title = text("ja", "checkin_title")
    draw.text((width // 2, 270), title, fill=ink, font=font(80), anchor="mm")
    qr = _qr(link, 18).convert("RGB")
    if qr.width > width - 200:
        qr = qr.resize((width - 200, width - 200), Image.Resampling.NEAREST)
    top = band + 80
    image.paste(qr, ((width - qr.width) // 2, top))
    how = drawable(text("ja", "checkin_how"))
    y = top + qr.height + 90
    for line in _wrap(how, 22):
        draw.text((width // 2, y), line, fill=BAR_COLOUR, font=font(48), anchor="mm")
        y += 70
    note = drawable(text("ja", "checkin_poster_day", date=day_label))
    draw.text((width // 2, height - 110), note, fill=(96, 96, 96), font=font(40), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wrap(line: str, size: int) -> list[str]:
    """Japanese text cut into lines of ``size`` characters (it has no spaces to break at)."""
    return [line[i : i + size] for i in range(0, len(line), size)] or [""]
