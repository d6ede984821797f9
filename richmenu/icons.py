"""Flat icons drawn with Pillow primitives, so the menus need no image files.

Each function draws into the square ``box`` = (left, top, size) in ``ink``; ``paper`` is the
colour behind the icon, used for cut-outs. Coordinates are fractions of the size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw, ImageFont

Colour = tuple[int, int, int]
Box = tuple[float, float, float]
Font = ImageFont.FreeTypeFont
IconPainter = Callable[[ImageDraw.ImageDraw, Box, Colour, Colour, Font], None]


def _at(box: Box, fx: float, fy: float) -> tuple[float, float]:
    """The point at fractions (fx, fy) of the box."""
    left, top, size = box
    return left + fx * size, top + fy * size


def _rect(box: Box, x0: float, y0: float, x1: float, y1: float) -> list[float]:
    """A rectangle given in fractions of the box, as Pillow wants it."""
    return [*_at(box, x0, y0), *_at(box, x1, y1)]


def _glyph(draw: ImageDraw.ImageDraw, box: Box, text: str, fill: Colour, font: Font) -> None:
    """Draw a character centred in the box, sized to about half of it."""
    glyph_font = font.font_variant(size=max(1, int(box[2] * 0.55)))
    draw.text(_at(box, 0.5, 0.5), text, fill=fill, font=glyph_font, anchor="mm")


def card(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A membership card with a barcode."""
    size = box[2]
    draw.rounded_rectangle(_rect(box, 0.04, 0.18, 0.96, 0.82), radius=0.09 * size, fill=ink)
    draw.rounded_rectangle(_rect(box, 0.12, 0.28, 0.3, 0.42), radius=0.03 * size, fill=paper)
    x = 0.14
    for width in (0.025, 0.012, 0.035, 0.012, 0.025, 0.05, 0.012, 0.03, 0.012, 0.04, 0.02):
        draw.rectangle(_rect(box, x, 0.52, x + width, 0.72), fill=paper)
        x += width + 0.025


def points(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A coin marked P."""
    draw.ellipse(_rect(box, 0.06, 0.06, 0.94, 0.94), fill=ink)
    draw.ellipse(_rect(box, 0.16, 0.16, 0.84, 0.84), outline=paper, width=int(box[2] * 0.035))
    _glyph(draw, box, "P", paper, font)


def history(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A clock."""
    size = box[2]
    draw.ellipse(_rect(box, 0.06, 0.06, 0.94, 0.94), fill=ink)
    draw.ellipse(_rect(box, 0.16, 0.16, 0.84, 0.84), fill=paper)
    width = int(size * 0.08)
    centre = _at(box, 0.5, 0.5)
    draw.line([centre, _at(box, 0.5, 0.26)], fill=ink, width=width)
    draw.line([centre, _at(box, 0.68, 0.6)], fill=ink, width=width)
    draw.ellipse(_rect(box, 0.44, 0.44, 0.56, 0.56), fill=ink)


def rewards(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A gift box with a bow."""
    size = box[2]
    width = int(size * 0.07)
    draw.ellipse(_rect(box, 0.22, 0.08, 0.5, 0.32), outline=ink, width=width)
    draw.ellipse(_rect(box, 0.5, 0.08, 0.78, 0.32), outline=ink, width=width)
    draw.rectangle(_rect(box, 0.06, 0.3, 0.94, 0.46), fill=ink)
    draw.rectangle(_rect(box, 0.12, 0.5, 0.88, 0.94), fill=ink)
    draw.rectangle(_rect(box, 0.45, 0.3, 0.55, 0.94), fill=paper)


def settings(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A gear wheel."""
    teeth = 8
    points_: list[tuple[float, float]] = []
    for i in range(teeth * 4):
        angle = 2 * math.pi * (i - 0.5) / (teeth * 4)
        radius = 0.46 if i % 4 in (1, 2) else 0.34
        points_.append(_at(box, 0.5 + radius * math.cos(angle), 0.5 + radius * math.sin(angle)))
    draw.polygon(points_, fill=ink)
    draw.ellipse(_rect(box, 0.36, 0.36, 0.64, 0.64), fill=paper)


def help_(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A question mark in a circle."""
    draw.ellipse(_rect(box, 0.06, 0.06, 0.94, 0.94), fill=ink)
    _glyph(draw, box, "?", paper, font)


def scan(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """Viewfinder corners around a barcode."""
    width = int(box[2] * 0.07)
    for x0, x1 in ((0.06, 0.3), (0.94, 0.7)):
        for y0, y1 in ((0.1, 0.3), (0.9, 0.7)):
            draw.line([_at(box, x0, y1), _at(box, x0, y0), _at(box, x1, y0)], fill=ink, width=width)
    x = 0.24
    for bar in (0.04, 0.02, 0.06, 0.02, 0.04, 0.02, 0.05, 0.03):
        draw.rectangle(_rect(box, x, 0.3, x + bar, 0.7), fill=ink)
        x += bar + 0.028
    draw.rectangle(_rect(box, 0.12, 0.48, 0.88, 0.52), fill=ink)


def code(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A number pad."""
    size = box[2]
    for row in range(3):
        for col in range(3):
            x, y = 0.08 + col * 0.3, 0.08 + row * 0.3
            draw.rounded_rectangle(
                _rect(box, x, y, x + 0.24, y + 0.24), radius=0.05 * size, fill=ink
            )


def today(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """A calendar page with today marked."""
    size = box[2]
    draw.rounded_rectangle(_rect(box, 0.06, 0.14, 0.94, 0.94), radius=0.08 * size, fill=ink)
    draw.rectangle(_rect(box, 0.12, 0.34, 0.88, 0.88), fill=paper)
    for x in (0.28, 0.64):
        draw.rounded_rectangle(_rect(box, x, 0.04, x + 0.08, 0.24), radius=0.03 * size, fill=ink)
    for row in range(3):
        for col in range(4):
            x, y = 0.17 + col * 0.18, 0.4 + row * 0.16
            fill = ink if (row, col) == (1, 2) else mix(ink, paper, 0.35)
            draw.rectangle(_rect(box, x, y, x + 0.12, y + 0.1), fill=fill)


def undo(draw: ImageDraw.ImageDraw, box: Box, ink: Colour, paper: Colour, font: Font) -> None:
    """An arrow turning back."""
    size = box[2]
    radius = 0.32
    ring = _rect(box, 0.5 - radius, 0.52 - radius, 0.5 + radius, 0.52 + radius)
    stroke = 0.1
    draw.arc(ring, 200, 450, fill=ink, width=int(size * stroke))
    # Arrow head at the start of the arc (200 degrees), pointing back along it; Pillow draws
    # the stroke inside the ring, so its middle runs half a stroke in from the radius.
    theta = math.radians(200)
    middle = radius - stroke / 2
    cx, cy = 0.5 + middle * math.cos(theta), 0.52 + middle * math.sin(theta)
    tangent = (math.sin(theta), -math.cos(theta))
    normal = (math.cos(theta), math.sin(theta))
    tip = (cx + tangent[0] * 0.2, cy + tangent[1] * 0.2)
    wings = [(cx + normal[0] * s * 0.17, cy + normal[1] * s * 0.17) for s in (1, -1)]
    draw.polygon([_at(box, *tip), *(_at(box, *w) for w in wings)], fill=ink)


def mix(a: Colour, b: Colour, share_of_a: float) -> Colour:
    """Blend two colours, ``share_of_a`` of the first."""
    red, green, blue = (
        round(x * share_of_a + y * (1 - share_of_a)) for x, y in zip(a, b, strict=True)
    )
    return red, green, blue


PAINTERS: dict[str, IconPainter] = {
    "card": card,
    "points": points,
    "history": history,
    "rewards": rewards,
    "settings": settings,
    "help": help_,
    "scan": scan,
    "code": code,
    "today": today,
    "undo": undo,
}
