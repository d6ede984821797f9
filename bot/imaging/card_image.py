"""The membership card image: program colours, logo, store name, rank, member number, barcode.

A card face is drawn in two layers. The design layer (card shape, logo, store name, rank) is
the same for every member of a rank and is drawn once per process, supersampled for smooth
edges, together with the palette of the final image. The member's layer (barcode, QR code,
digits, "valid until") is drawn on a copy with whole-pixel modules, so every bar edge is sharp
for scanners, then mapped to that palette and saved as a small PNG: about 7 ms and 20 KB.

Display names are not drawn: they can hold any character (emoji, right-to-left scripts) and
belong in the Flex text, which LINE renders with the phone's fonts.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

import barcode
import qrcode
from barcode.charsets import code128
from PIL import Image, ImageDraw

from bot.domain import card_codes
from bot.domain.cards import is_valid_member_number
from bot.domain.colours import ink_on
from bot.domain.program import CardDesign, Program, RankTier
from bot.imaging.fonts import drawable, fitted, font
from bot.messages import format as fmt
from bot.messages.texts import CATALOGUE, text

WIDTH, HEIGHT = 1024, 640
#: Space around the card (the bubble's white shows there), and its corner radius.
MARGIN, RADIUS = 16, 40
#: The white panel that carries the codes: (left, top, right, bottom).
PANEL = (44, 236, WIDTH - 44, HEIGHT - 52)
#: Design layer supersampling factor.
SUPERSAMPLE = 2
#: Pixels per module: Code 128 (123 modules for 16 digits), QR (21 + 2 x 2 quiet), EAN-13 (95).
CODE128_MODULE, QR_MODULE, EAN_MODULE = 4, 11, 8
#: Light margins of the 1-D codes, in modules (Code 128 and EAN-13 ask for at least 10 / 11).
CODE128_QUIET, EAN_QUIET = 10, 11
BAR_COLOUR = (0, 0, 0)
TEXT_DARK = (34, 34, 34)
TEXT_MUTED = (96, 96, 96)
#: Palette of the saved PNG: the design's colours (fewer lose the logo's small details) and
#: a ramp of greys for the antialiased digits.
DESIGN_COLOURS, GREY_LEVELS = 24, 8
#: zlib level of the PNG: 6 takes ~3.5 ms for ~20 KB; 8 gives ~11 KB but takes ~8 ms, which
#: costs the image endpoint a third of its throughput (see bench/card_bench.py).
PNG_COMPRESS_LEVEL = 6
MODES = ("rotating", "static")
#: Part of every image digest: change it whenever this module draws differently, so that no
#: cache (Redis, LINE's, the phone's) goes on serving images drawn the old way.
RENDER_VERSION = 1
#: The catalogue strings drawn on a card.
_DRAWN_TEXTS = ("card_title", "member_number", "valid_until")


@dataclass(frozen=True)
class CardFace:
    """What one card image shows; travels in the signed image URL, so no look-up is needed."""

    mode: str
    #: What the barcode encodes: the rotating code, or the member number in static mode.
    code: str
    number: str
    rank: str
    language: str
    #: Unix seconds when a rotating code stops being valid; 0 in static mode.
    valid_until: int = 0

    def fields(self) -> list[str | int]:
        """The face as a compact list, for the signed URL."""
        return [self.mode, self.code, self.number, self.rank, self.language, self.valid_until]

    @classmethod
    def from_fields(cls, fields: list[object]) -> CardFace | None:
        """A face from ``fields()`` output, or None if anything is not what a card can show."""
        if len(fields) != 6 or not all(isinstance(f, str) for f in fields[:5]):
            return None
        mode, code, number, rank, language, valid_until = fields
        if type(valid_until) is not int or language not in CATALOGUE or len(str(rank)) > 32:
            return None
        face = cls(str(mode), str(code), str(number), str(rank), str(language), valid_until)
        if not is_valid_member_number(face.number):
            return None
        if face.mode == "static" and face.code == face.number:
            return face
        if face.mode == "rotating" and card_codes.looks_like_code(face.code):
            return face
        return None


@functools.lru_cache(maxsize=8)
def design_digest(program: Program) -> str:
    """A digest of everything a card image depends on besides its face: the design and logo
    bytes, the ranks' names and colours, the time zone of "valid until", the drawn texts and
    RENDER_VERSION. Computed once per program (it reads the logo file)."""
    design = program.card
    logo = hashlib.sha256(design.logo.read_bytes()).hexdigest() if design.logo else ""
    parts = [
        RENDER_VERSION, WIDTH, HEIGHT, PNG_COMPRESS_LEVEL, DESIGN_COLOURS, GREY_LEVELS,
        design.store_name, design.store_name_en, design.background, design.foreground,
        design.accent, logo,
        [[t.key, t.name, t.name_en, t.color] for t in program.ranks.tiers],
        str(program.timezone),
        {language: [texts[key] for key in _DRAWN_TEXTS] for language, texts in CATALOGUE.items()},
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def image_digest(face: CardFace, program: Program) -> str:
    """What identifies the bytes of one card image: its face and the program's design."""
    identity = json.dumps([design_digest(program), *face.fields()], ensure_ascii=False)
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def render_card_png(face: CardFace, program: Program) -> bytes:
    """The card image of ``face`` as a PNG of WIDTH x HEIGHT pixels."""
    rank = _tier(program, face.rank)
    layer, palette = _design_layer(program.card, rank, face.language, face.mode)
    image = layer.copy()
    _draw_member(ImageDraw.Draw(image), face, program.card, program.timezone)
    out = io.BytesIO()
    image.quantize(palette=palette, dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=PNG_COMPRESS_LEVEL
    )
    return out.getvalue()


def _draw_member(
    draw: ImageDraw.ImageDraw, face: CardFace, design: CardDesign, zone: tzinfo
) -> None:
    """The member's own part of the card: codes, digits, validity."""
    if face.mode == "rotating":
        _draw_rotating(draw, face, design, zone)
    else:
        _draw_ean13(draw, face.number)


def code128_modules(value: str) -> str:
    """The module pattern ('1' = bar) of an even number of digits as Code 128 set C.

    Encoded here rather than by python-barcode, which drops a leading "99" (it reads the
    value 99 as a switch to set C), so codes starting 99 scanned as other numbers.
    """
    if len(value) % 2 or not value.isascii() or not value.isdigit():
        raise ValueError("Code 128 set C needs an even number of digits")
    pairs = [int(value[i : i + 2]) for i in range(0, len(value), 2)]
    checksum = (START_C + sum(weight * pair for weight, pair in enumerate(pairs, 1))) % 103
    symbols = [START_C, *pairs, checksum]
    # The stop pattern ends with a two-module termination bar.
    return "".join(code128.CODES[symbol] for symbol in symbols) + code128.STOP + "11"


#: The Code 128 symbol that starts a barcode in set C (digit pairs).
START_C = 105


def ean13_modules(number: str) -> str:
    """The 95 module pattern ('1' = bar) of an EAN-13 number."""
    return barcode.get("ean13", number).build()[0]


def qr_matrix(value: str) -> list[list[bool]]:
    """The QR code of ``value`` (error correction M), without its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(value)
    code.make(fit=True)
    return code.get_matrix()


def _tier(program: Program, key: str) -> RankTier | None:
    # A URL signed before the program changed may name a rank that is gone: draw no rank.
    return next((t for t in program.ranks.tiers if t.key == key), None)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def ink_rgb(colour: str) -> tuple[int, int, int]:
    """The text colour on ``colour``: the rule the Flex messages use too."""
    return _rgb(ink_on(colour))


@functools.lru_cache(maxsize=8)
def _logo(path: Path, size: int) -> Image.Image:
    with Image.open(path) as source:
        logo = source.convert("RGBA")
    logo.thumbnail((size, size), Image.Resampling.LANCZOS)
    return logo


@functools.lru_cache(maxsize=64)
def _design_layer(
    design: CardDesign, rank: RankTier | None, language: str, mode: str
) -> tuple[Image.Image, Image.Image]:
    """Everything but the member's own codes, drawn at SUPERSAMPLE x and scaled down, and the
    palette of finished cards (taken from a sample card, so mapping a card to it is cheap)."""
    s = SUPERSAMPLE
    background, foreground = _rgb(design.background), _rgb(design.foreground)
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(image)
    card = (MARGIN * s, MARGIN * s, (WIDTH - MARGIN) * s, (HEIGHT - MARGIN) * s)
    draw.rounded_rectangle(card, radius=RADIUS * s, fill=background)
    if rank is not None:
        # A band of the rank's colour along the bottom edge, under the white panel.
        band = Image.new("L", image.size, 0)
        ImageDraw.Draw(band).rounded_rectangle(card, radius=RADIUS * s, fill=255)
        ImageDraw.Draw(band).rectangle((0, 0, WIDTH * s, (HEIGHT - MARGIN - 30) * s), fill=0)
        image.paste(_rgb(rank.color), mask=band)
    left = 48
    if design.logo is not None:
        badge = 124
        draw.ellipse((left * s, 40 * s, (left + badge) * s, (40 + badge) * s), fill="white")
        logo = _logo(design.logo, (badge - 24) * s)
        x = (left + badge // 2) * s - logo.width // 2
        y = (40 + badge // 2) * s - logo.height // 2
        image.paste(logo, (x, y), logo)
        left += badge + 24
    right = WIDTH - 48
    if rank is not None:
        label = drawable(rank.name_en if language == "en" else rank.name)
        if label:
            label_font = font(30 * s)
            width = label_font.getlength(label) + 44 * s
            pill = (right * s - width, 48 * s, right * s, 98 * s)
            draw.rounded_rectangle(
                pill, radius=25 * s, fill=_rgb(rank.color), outline="white", width=3 * s
            )
            centre = ((pill[0] + pill[2]) / 2, (pill[1] + pill[3]) / 2)
            draw.text(centre, label, fill=ink_rgb(rank.color), font=label_font, anchor="mm")
            right = int(pill[0] / s) - 20
    store = drawable(design.store_label(language))
    if store:
        store_font = fitted(store, 56 * s, (right - left) * s)
        draw.text((left * s, 100 * s), store, fill=foreground, font=store_font, anchor="ls")
    title = text(language, "card_title")
    draw.text((left * s, 150 * s), title, fill=foreground, font=font(28 * s), anchor="ls")
    if mode == "rotating":
        label = text(language, "member_number")
        draw.text((left * s, 205 * s), label, fill=foreground, font=font(24 * s), anchor="ls")
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    ImageDraw.Draw(image).rounded_rectangle(PANEL, radius=24, fill="white")
    # The palette: the design's own colours (with a sample member number in them), then a
    # ramp of greys for the bars and digits, so they stay neutral.
    sample = image.copy()
    number = "2900000000001"
    code = "1234567890123456" if mode == "rotating" else number
    _draw_member(ImageDraw.Draw(sample), CardFace(mode, code, number, "", language), design, UTC)
    own = sample.quantize(DESIGN_COLOURS, method=Image.Quantize.FASTOCTREE)
    colours = own.getpalette()[: 3 * DESIGN_COLOURS]
    greys = [round(255 * i / (GREY_LEVELS - 1)) for i in range(GREY_LEVELS)]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [level for grey in greys for level in (grey, grey, grey)])
    return image, palette


def draw_bars(
    draw: ImageDraw.ImageDraw, modules: str, left: int, top: int, height: int, px: int
) -> None:
    """Draw runs of bar modules as whole-pixel rectangles."""
    start = None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module != "1" and start is not None:
            draw.rectangle(
                (left + start * px, top, left + index * px - 1, top + height - 1), fill=BAR_COLOUR
            )
            start = None


def _draw_rotating(
    draw: ImageDraw.ImageDraw, face: CardFace, design: CardDesign, zone: tzinfo
) -> None:
    """Code 128 with its digits on the left of the panel, the QR code on the right."""
    panel_left, panel_top, panel_right, panel_bottom = PANEL
    # The member number, on the card colour above the panel, for reading out or typing.
    number = fmt.member_number(face.number)
    label_width = font(24).getlength(text(face.language, "member_number"))
    left = 48 + (148 if design.logo is not None else 0)
    draw.text(
        (left + label_width + 16, 205),
        number,
        fill=_rgb(design.foreground),
        font=font(30),
        anchor="ls",
    )
    matrix = qr_matrix(face.code)
    qr_size = len(matrix) * QR_MODULE
    qr_left = panel_right - 36 - qr_size
    qr_top = panel_top + 28
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = qr_left + x * QR_MODULE, qr_top + y * QR_MODULE
                draw.rectangle((x0, y0, x0 + QR_MODULE - 1, y0 + QR_MODULE - 1), fill=BAR_COLOUR)
    modules = code128_modules(face.code)
    block = (len(modules) + 2 * CODE128_QUIET) * CODE128_MODULE
    area_right = qr_left - 12
    bars_left = panel_left + (area_right - panel_left - block) // 2 + CODE128_QUIET * CODE128_MODULE
    draw_bars(draw, modules, bars_left, panel_top + 36, 190, CODE128_MODULE)
    digits = " ".join(face.code[i : i + 4] for i in range(0, len(face.code), 4))
    centre = bars_left + len(modules) * CODE128_MODULE // 2
    draw.text((centre, panel_top + 268), digits, fill=TEXT_DARK, font=font(40), anchor="ms")
    until = fmt.local(face.valid_until, zone)
    note = text(face.language, "valid_until", time=fmt.clock(until))
    draw.text(
        (qr_left + qr_size // 2, panel_bottom - 24),
        note,
        fill=TEXT_DARK,
        font=font(28),
        anchor="ms",
    )


def _draw_ean13(draw: ImageDraw.ImageDraw, number: str) -> None:
    """The member number as EAN-13, digits under the bars as on a product label."""
    panel_left, panel_top, panel_right, _ = PANEL
    modules = ean13_modules(number)
    block = (len(modules) + EAN_QUIET + 7) * EAN_MODULE
    left = panel_left + (panel_right - panel_left - block) // 2 + EAN_QUIET * EAN_MODULE
    draw_bars(draw, modules, left, panel_top + 32, 210, EAN_MODULE)
    spaced = f"{number[0]}  {number[1:7]}  {number[7:]}"
    centre = left + len(modules) * EAN_MODULE // 2
    draw.text((centre, panel_top + 296), spaced, fill=TEXT_DARK, font=font(48), anchor="ms")
