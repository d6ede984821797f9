"""The card image: looks right for every rank and language, and every barcode on it scans."""

from __future__ import annotations

import dataclasses
import io
from fractions import Fraction

import pytest
import zxingcpp
from PIL import Image

from bot.config import DEFAULT_PROGRAM
from bot.domain import card_codes
from bot.domain.colours import DARK_INK, LIGHT_INK, rgb
from bot.domain.program import Program, load_program
from bot.imaging.card_image import HEIGHT, WIDTH, CardFace, ink_rgb, render_card_png
from bot.messages.flex import CARD_ASPECT_RATIO, CardView, card_message
from richmenu.render import palette

PROGRAM = load_program(DEFAULT_PROGRAM)
KEY = card_codes.derive_key("k" * 48)
NOW = 1_795_000_000
#: Widths a phone shows the card at: the full image, a 3x and a 2x screen's bubble (LINE's
#: "mega" bubble is 300 points wide), and smaller. Both 1-D codes scan down to 500 px; the QR
#: code of a rotating card scans down to a thumbnail.
LINE_WIDTHS = (1024, 900, 600, 500)
QR_ONLY_WIDTHS = (400, 300)
#: A card image must stay small: LINE recommends under 1 MB; this one aims far below.
MAX_PNG_BYTES = 40_000


#: Fixed handles and numbers keep the scan tests deterministic. They include codes starting
#: "99", which a Code 128 library once encoded wrongly (set C's value 99 read as a switch).
HANDLES = ["99000001", "99999999", "10000000", "12345678", "50505050", "98765432",
           "90909090", "11111111", "24681357", "73737373", "99123456", "31415926"]  # fmt: skip
NUMBERS = ["2900000000001", "2912345678906", "2987654321003", "2955555555551", "2901020304056",
           "2999999999991", "2913579246800", "2924681357902", "2000000000008", "2099999999998",
           "2950000000006", "2911111111111"]  # fmt: skip


def _rotating_face(
    rank: str = "regular", language: str = "ja", counter: int = 0, handle: str | None = None
) -> CardFace:
    secret = f"{counter:032x}"
    member = card_codes.Credentials(handle or HANDLES[0], secret, counter)
    issued = card_codes.issue(KEY, member, NOW, PROGRAM.code_window)
    number = NUMBERS[counter % len(NUMBERS)]
    return CardFace("rotating", issued.code, number, rank, language, issued.expires_at)


def _static_face(rank: str = "regular", language: str = "ja", number: str = NUMBERS[0]) -> CardFace:
    return CardFace("static", number, number, rank, language)


def _decoded(png: bytes, width: int = WIDTH) -> set[tuple[str, str]]:
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    if width != picture.width:
        picture = picture.resize((width, width * HEIGHT // WIDTH), Image.Resampling.LANCZOS)
    return {(str(r.format), r.text) for r in zxingcpp.read_barcodes(picture)}


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("rank", ["regular", "silver", "gold"])
@pytest.mark.parametrize("make_face", [_rotating_face, _static_face], ids=["rotating", "static"])
def test_card_for_every_rank_and_language(tmp_path, make_face, rank, language):
    # The PNGs land in pytest's temporary folder: open them to look at the card as shoppers do.
    face = make_face(rank, language)
    png = render_card_png(face, PROGRAM)
    (tmp_path / f"card-{face.mode}-{rank}-{language}.png").write_bytes(png)
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.size == (WIDTH, HEIGHT)
    assert max(picture.size) <= 1024
    assert len(png) <= MAX_PNG_BYTES
    if face.mode == "rotating":
        assert _decoded(png) == {("Code 128", face.code), ("QR Code", face.code)}
    else:
        assert _decoded(png) == {("EAN-13", face.number)}


def test_the_flex_hero_keeps_the_image_proportions():
    width, height = (int(n) for n in CARD_ASPECT_RATIO.split(":"))
    assert Fraction(WIDTH, HEIGHT) == Fraction(width, height)


def test_many_members_scan_at_the_sizes_line_shows():
    faces = [_rotating_face(counter=n, handle=h) for n, h in enumerate(HANDLES)]
    faces += [_static_face(number=number) for number in NUMBERS]
    assert any(face.code.startswith("99") for face in faces)
    for face in faces:
        png = render_card_png(face, PROGRAM)
        expected = (
            {("Code 128", face.code), ("QR Code", face.code)}
            if face.mode == "rotating"
            else {("EAN-13", face.number)}
        )
        for width in LINE_WIDTHS:
            assert _decoded(png, width) == expected, (face.code, width)
        if face.mode == "rotating":
            for width in QR_ONLY_WIDTHS:
                assert ("QR Code", face.code) in _decoded(png, width), (face.code, width)


def test_characters_the_font_lacks_are_left_out_not_drawn_as_boxes():
    design = dataclasses.replace(PROGRAM.card, store_name="🌸 さくら𠮷マート 🌸", logo=None)
    program = dataclasses.replace(PROGRAM, card=design)
    face = _rotating_face()
    assert _decoded(render_card_png(face, program)) == {
        ("Code 128", face.code),
        ("QR Code", face.code),
    }
    only_emoji = dataclasses.replace(program, card=dataclasses.replace(design, store_name="🌸"))
    assert render_card_png(face, only_emoji)[:8] == b"\x89PNG\r\n\x1a\n"


#: 18 steps per channel, 5,832 colours: the Flex badge and the card once disagreed on 508.
GRID_STEPS = [round(i * 255 / 17) for i in range(18)]


def _badge_ink(colour: str) -> str:
    view = CardView("x", NUMBERS[0], 0, "https://x.test/c.png", "x", rank_color=colour)
    rank_row = card_message("ja", PROGRAM.card, view)["contents"]["body"]["contents"][2]
    return rank_row["contents"][1]["contents"][0]["color"]


def _tab_ink(colour: str) -> tuple[int, int, int]:
    return palette(dataclasses.replace(PROGRAM.card, background=colour)).tab_text


def test_the_card_the_flex_badge_and_the_rich_menu_put_the_same_ink_on_every_colour():
    grid = [f"#{r:02X}{g:02X}{b:02X}" for r in GRID_STEPS for g in GRID_STEPS for b in GRID_STEPS]
    assert len(grid) == 5832
    disagree = [colour for colour in grid if rgb(_badge_ink(colour)) != ink_rgb(colour)]
    assert disagree == []
    assert [colour for colour in grid if _tab_ink(colour) != ink_rgb(colour)] == []


def _with_silver(colour: str) -> Program:
    tiers = tuple(
        dataclasses.replace(t, color=colour) if t.key == "silver" else t
        for t in PROGRAM.ranks.tiers
    )
    return dataclasses.replace(PROGRAM, ranks=dataclasses.replace(PROGRAM.ranks, tiers=tiers))


@pytest.mark.parametrize(("colour", "ink"), [("#A8A9AD", DARK_INK), ("#1E3A5F", LIGHT_INK)])
def test_the_rank_pill_is_drawn_in_the_ink_of_the_rule(colour, ink):
    png = render_card_png(_static_face("silver"), _with_silver(colour))
    # Inside the pill's white outline, around the label.
    pill = Image.open(io.BytesIO(png)).convert("RGB").crop((820, 62, 950, 86))
    counts = dict.fromkeys((DARK_INK, LIGHT_INK), 0)
    for pixels, colour_seen in pill.getcolors(pill.width * pill.height):
        for candidate in counts:
            if sum((a - b) ** 2 for a, b in zip(colour_seen, rgb(candidate), strict=True)) < 40**2:
                counts[candidate] += pixels
    other = LIGHT_INK if ink == DARK_INK else DARK_INK
    assert counts[ink] > 0
    assert counts[other] == 0


def test_a_rank_removed_from_the_program_draws_no_rank():
    face = dataclasses.replace(_static_face(), rank="platinum")
    assert _decoded(render_card_png(face, PROGRAM)) == {("EAN-13", face.number)}


def test_faces_travel_as_fields():
    for face in (_rotating_face(), _static_face("gold", "en")):
        assert CardFace.from_fields(face.fields()) == face


@pytest.mark.parametrize(
    "change",
    [
        {"mode": "animated"},
        {"code": "2900000000008"},  # static code that is not the member's number
        {"number": "4901234567894"},  # not an in-store number
        {"language": "fr"},
        {"rank": "r" * 33},
    ],
)
def test_faces_that_a_card_cannot_show_are_refused(change):
    face = dataclasses.replace(_static_face(), **change)
    assert CardFace.from_fields(face.fields()) is None


@pytest.mark.parametrize(
    "fields",
    [[], ["static"], [1, 2, 3, 4, 5, 6], ["rotating", "1" * 16, "x", "gold", "ja", "soon"]],
)
def test_malformed_fields_are_refused(fields):
    assert CardFace.from_fields(fields) is None


def test_a_rotating_face_needs_a_rotating_code():
    face = _rotating_face()
    assert CardFace.from_fields(dataclasses.replace(face, code=face.number).fields()) is None
    assert (
        CardFace.from_fields(dataclasses.replace(face, code="0" + face.code[1:]).fields()) is None
    )
