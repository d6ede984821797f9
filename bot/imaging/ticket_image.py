"""The reward ticket image: the program's colours, the reward's name, QR code and Code 128.

Drawn with the card's primitives (bot/imaging/card_image.py): whole-pixel modules so every
edge is sharp for scanners, saved as a small palette PNG. The reward's name comes from the
program when the image is drawn; only the code, the reward key, the language and the last
day travel in the signed URL.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import tzinfo

from PIL import Image, ImageDraw

from bot.domain import ticket_codes
from bot.domain.colours import rgb
from bot.domain.program import Program
from bot.imaging.card_image import (
    BAR_COLOUR,
    CODE128_MODULE,
    CODE128_QUIET,
    PNG_COMPRESS_LEVEL,
    QR_MODULE,
    TEXT_DARK,
    code128_modules,
    draw_bars,
    ink_rgb,
    qr_matrix,
)
from bot.imaging.fonts import drawable, fitted, font
from bot.messages import format as fmt
from bot.messages.texts import CATALOGUE, text

WIDTH, HEIGHT = 1024, 600
MARGIN, RADIUS = 16, 40
#: The white panel that carries the codes: (left, top, right, bottom).
PANEL = (44, 196, WIDTH - 44, HEIGHT - 44)
#: Change whenever this module draws differently (part of every image digest).
RENDER_VERSION = 2


@dataclass(frozen=True)
class TicketRef:
    """Which ticket an image URL shows: the member (by internal id), the ticket's number and
    the language. Not the code: a signed URL is readable, and an unused ticket's code is a
    bearer secret, so the image endpoint looks the code up."""

    member_id: str
    number: str
    language: str

    def fields(self) -> list[str | int]:
        """The reference as a compact list, for the signed URL."""
        return [self.member_id, self.number, self.language]

    @classmethod
    def from_fields(cls, fields: list[object]) -> TicketRef | None:
        """A reference from ``fields()`` output, or None if it is not one the bot signs."""
        if len(fields) != 3 or not all(isinstance(f, str) for f in fields):
            return None
        member_id, number, language = (str(f) for f in fields)
        if not (len(member_id) == 24 and member_id.isascii() and member_id.isalnum()):
            return None
        if not (len(number) == ticket_codes.NUMBER_DIGITS and number.isdigit()):
            return None
        return cls(member_id, number, language) if language in CATALOGUE else None


@dataclass(frozen=True)
class TicketFace:
    """What one ticket image shows."""

    code: str
    reward: str
    language: str
    #: Unix seconds of the ticket's last moment.
    expires_at: int

    def fields(self) -> list[str | int]:
        """The face as a list (its digest)."""
        return [self.code, self.reward, self.language, self.expires_at]


def image_digest(face: TicketFace, program: Program) -> str:
    """What identifies the bytes of one ticket image (also its ETag)."""
    reward = program.reward(face.reward)
    design = program.card
    parts = [
        "ticket", RENDER_VERSION, design.store_label(face.language), design.background,
        design.foreground,
        reward.label(face.language) if reward else face.reward, str(program.timezone),
        *face.fields(),
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:32]


def render_ticket_png(face: TicketFace, program: Program) -> bytes:
    """The ticket image of ``face`` as a PNG of WIDTH x HEIGHT pixels."""
    design = program.card
    reward = program.reward(face.reward)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN),
        radius=RADIUS,
        fill=rgb(design.background),
    )
    ink = ink_rgb(design.background)
    store = design.store_label(face.language)
    title = drawable(f"{store}  {text(face.language, 'ticket_drawn_title')}")
    draw.text((48, 72), title, fill=ink, font=fitted(title, 34, WIDTH - 96), anchor="ls")
    name = drawable(reward.label(face.language) if reward else face.reward) or face.reward
    draw.text((48, 150), name, fill=ink, font=fitted(name, 56, WIDTH - 96), anchor="ls")
    draw.rounded_rectangle(PANEL, radius=24, fill="white")
    _draw_codes(draw, face, program.timezone)
    out = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(
        out, format="PNG", compress_level=PNG_COMPRESS_LEVEL
    )
    return out.getvalue()


def _draw_codes(draw: ImageDraw.ImageDraw, face: TicketFace, zone: tzinfo) -> None:
    panel_left, panel_top, panel_right, panel_bottom = PANEL
    matrix = qr_matrix(face.code)
    module = min(QR_MODULE, (panel_bottom - panel_top - 56) // len(matrix))
    qr_size = len(matrix) * module
    qr_left, qr_top = panel_right - 32 - qr_size, panel_top + 28
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = qr_left + x * module, qr_top + y * module
                draw.rectangle((x0, y0, x0 + module - 1, y0 + module - 1), fill=BAR_COLOUR)
    modules = code128_modules(face.code)
    px = CODE128_MODULE if (len(modules) + 2 * CODE128_QUIET) * 4 < qr_left - panel_left else 3
    block = (len(modules) + 2 * CODE128_QUIET) * px
    bars_left = panel_left + (qr_left - 12 - panel_left - block) // 2 + CODE128_QUIET * px
    draw_bars(draw, modules, bars_left, panel_top + 36, 170, px)
    centre = bars_left + len(modules) * px // 2
    digits = ticket_codes.grouped(face.code)
    draw.text((centre, panel_top + 250), digits, fill=TEXT_DARK, font=font(34), anchor="ms")
    last_day = fmt.long_date(face.language, fmt.local(face.expires_at - 1, zone))
    until = (
        text(face.language, "ticket_last_day")
        + " "
        + text(face.language, "ticket_until", date=last_day)
    )
    draw.text(
        (centre, panel_bottom - 30), drawable(until), fill=TEXT_DARK, font=font(30), anchor="ms"
    )
