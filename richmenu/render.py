"""Rich menu images drawn with Pillow from the definitions and the program's card colours."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw

from bot.domain.colours import ink_on, softened
from bot.domain.program import CardDesign
from bot.imaging.fonts import fitted, font
from richmenu.icons import PAINTERS, Colour
from richmenu.model import Bounds, Button, Page, Tab

#: Everything is drawn this many times larger, then scaled down: smooth edges everywhere.
SCALE = 2
#: Space around each tile, in image pixels (so twice this between neighbours).
TILE_INSET = 14
#: Corner radius of the tiles, in image pixels.
TILE_RADIUS = 40
#: Labels shrink to fit their tile down to this size, in drawing pixels.
SMALLEST_LABEL = 8

#: (left, top, right, bottom) in drawing pixels.
_Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Palette:
    """The colours of a menu, from the program file's card design (see ``palette``)."""

    brand: Colour
    tile: Colour
    text: Colour
    subtext: Colour
    tab_bar: Colour
    #: The label of the page's own tab, on the brand colour.
    tab_text: Colour
    #: The labels of the other tabs, on the tab bar.
    tab_bar_text: Colour


@dataclass(frozen=True)
class TextOn:
    """A text colour drawn on a background, and the program keys the two come from."""

    what: str
    ink: str
    #: The program key of the text colour; None for black or white chosen by ``ink_on``.
    ink_key: str | None
    background: str
    background_key: str


def text_colours(design: CardDesign) -> tuple[TextOn, ...]:
    """Every text colour a menu draws, on what: the accent's labels on foreground tiles, and
    black or white (``ink_on``, the one rule) on the brand colour and on the tab bar."""
    return (
        TextOn("button labels", design.accent, "card.accent", design.foreground, "card.foreground"),
        TextOn(
            "the open tab's label",
            ink_on(design.background),
            None,
            design.background,
            "card.background",
        ),
        TextOn(
            "the other tabs' labels",
            ink_on(design.accent),
            None,
            design.accent,
            "card.accent (the tab bar)",
        ),
    )


def palette(design: CardDesign) -> _Palette:
    """Brand colour behind everything and in icons, foreground tiles, accent labels (the
    English ones a softer accent that still reads), tabs in black or white."""
    labels, open_tab, other_tabs = text_colours(design)
    return _Palette(
        brand=_rgb(design.background),
        tile=_rgb(design.foreground),
        text=_rgb(labels.ink),
        subtext=_rgb(softened(design.accent, design.foreground)),
        tab_bar=_rgb(design.accent),
        tab_text=_rgb(open_tab.ink),
        tab_bar_text=_rgb(other_tabs.ink),
    )


@functools.lru_cache(maxsize=16)
def render_page(page: Page, design: CardDesign) -> bytes:
    """The PNG image of one page (cached: pages and designs are immutable)."""
    colours = palette(design)
    image = Image.new("RGB", (page.width * SCALE, page.height * SCALE), colours.brand)
    draw = ImageDraw.Draw(image)
    for tab in page.tabs:
        _draw_tab(draw, tab, tab.page == page.name, colours)
    for button in page.buttons:
        _draw_button(draw, button, colours)
    image = image.resize((page.width, page.height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _scaled(bounds: Bounds, inset: float = 0) -> _Box:
    """Bounds in drawing pixels, shrunk by ``inset`` image pixels on every side."""
    return (
        (bounds.x + inset) * SCALE,
        (bounds.y + inset) * SCALE,
        (bounds.x + bounds.width - inset) * SCALE,
        (bounds.y + bounds.height - inset) * SCALE,
    )


def _draw_tab(draw: ImageDraw.ImageDraw, tab: Tab, active: bool, palette: _Palette) -> None:
    """A tab: the active one shares the page colour, the others sit on the darker bar."""
    left, top, right, bottom = _scaled(tab.bounds)
    draw.rectangle((left, top, right, bottom), fill=palette.brand if active else palette.tab_bar)
    colour = palette.tab_text if active else palette.tab_bar_text
    _draw_labels(
        draw,
        tab.label,
        tab.label_en,
        (left + right) / 2,
        (top + bottom) / 2,
        size=int((bottom - top) * 0.3),
        max_width=(right - left) * 0.9,
        colours=(colour, colour),
    )


def _draw_button(draw: ImageDraw.ImageDraw, button: Button, palette: _Palette) -> None:
    """A tile with the icon and the labels: side by side on wide tiles, stacked otherwise."""
    box = _scaled(button.bounds, TILE_INSET)
    draw.rounded_rectangle(box, radius=TILE_RADIUS * SCALE, fill=palette.tile)
    left, top, right, bottom = box
    if (right - left) / (bottom - top) >= 1.5:
        _wide_tile(draw, button, box, palette)
    else:
        _tall_tile(draw, button, box, palette)


def _wide_tile(draw: ImageDraw.ImageDraw, button: Button, box: _Box, palette: _Palette) -> None:
    """Icon on the left, labels beside it."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    icon = height * 0.5
    icon_box = (left + width * 0.12, top + (height - icon) / 2, icon)
    PAINTERS[button.icon](draw, icon_box, palette.brand, palette.tile, font(int(icon)))
    text_left = left + width * 0.12 + icon * 1.3
    _draw_labels(
        draw,
        button.label,
        button.label_en,
        text_left,
        top + height / 2,
        size=int(height * 0.2),
        max_width=right - text_left - width * 0.06,
        colours=(palette.text, palette.subtext),
        anchor="l",
    )


def _tall_tile(draw: ImageDraw.ImageDraw, button: Button, box: _Box, palette: _Palette) -> None:
    """Icon above the labels, the two centred as one block."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    icon = min(width, height) * 0.42
    size = int(min(height * 0.1, width * 0.17))
    labels = _labels_height(size, button.label_en)
    icon_top = top + (height - icon * 1.3 - labels) / 2
    icon_box = (left + (width - icon) / 2, icon_top, icon)
    PAINTERS[button.icon](draw, icon_box, palette.brand, palette.tile, font(int(icon)))
    _draw_labels(
        draw,
        button.label,
        button.label_en,
        left + width / 2,
        icon_top + icon * 1.3 + labels / 2,
        size=size,
        max_width=width * 0.88,
        colours=(palette.text, palette.subtext),
    )


def _labels_height(size: int, label_en: str | None) -> float:
    """The height of a label block (see _draw_labels) at this size."""
    return size * 1.75 if label_en is not None else size


def _draw_labels(
    draw: ImageDraw.ImageDraw,
    label: str,
    label_en: str | None,
    x: float,
    y: float,
    *,
    size: int,
    max_width: float,
    colours: tuple[Colour, Colour],
    anchor: str = "m",
) -> None:
    """The Japanese label with the English one below it, centred as a block on ``y``."""
    main = fitted(label, size, max_width, smallest=SMALLEST_LABEL)
    if label_en is None:
        draw.text((x, y), label, fill=colours[0], font=main, anchor=anchor + "m")
        return
    sub = fitted(label_en, int(size * 0.5), max_width, smallest=SMALLEST_LABEL)
    block = _labels_height(size, label_en)
    draw.text((x, y - block / 2), label, fill=colours[0], font=main, anchor=anchor + "t")
    draw.text((x, y + block / 2), label_en, fill=colours[1], font=sub, anchor=anchor + "b")


def _rgb(colour: str) -> Colour:
    """``#RRGGBB`` as an RGB triple."""
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue
