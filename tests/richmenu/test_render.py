"""Rendering: accepted sizes, under 1 MB, real Japanese glyphs, the program's colours."""

from __future__ import annotations

import dataclasses
import io

from PIL import Image, ImageChops

from bot.domain.program import CardDesign
from bot.imaging import fonts
from richmenu.render import render_page
from richmenu.validate import MAX_IMAGE_BYTES, MIN_RATIO


def test_images_are_pngs_line_accepts(menus) -> None:
    for menu in menus:
        with Image.open(io.BytesIO(menu.image)) as image:
            assert image.format == "PNG"
            assert image.size == (menu.page.width, menu.page.height)
            width, height = image.size
        assert 800 <= width <= 2500
        assert height >= 250
        assert width / height >= MIN_RATIO
        assert len(menu.image) <= MAX_IMAGE_BYTES


def test_japanese_glyphs_are_drawn_not_left_blank() -> None:
    font = fonts.font(64)
    drawn = {char: font.getmask(char) for char in "会員証履歴ポ"}

    assert all(mask.getbbox() is not None for mask in drawn.values())
    assert bytes(drawn["会"]) != bytes(drawn["員"])
    # A character the font lacks comes out blank: that is what missing_characters detects.
    assert font.getmask("\ue000").getbbox() is None
    assert fonts.missing_characters("会員証 Card") == []
    assert fonts.missing_characters("𠮷野家\ue000") == ["𠮷", "\ue000"]


def test_labels_are_drawn_on_the_image(menus, design: CardDesign) -> None:
    staff = menus[2].page

    def labelled(char: str) -> Image.Image:
        buttons = tuple(dataclasses.replace(b, label=char) for b in staff.buttons)
        png = render_page(dataclasses.replace(staff, buttons=buttons), design)
        return Image.open(io.BytesIO(png)).convert("RGB")

    # Same layout, different kanji: only the label rows may differ, and they must.
    difference = ImageChops.difference(labelled("会"), labelled("員"))
    left, top, right, bottom = difference.getbbox()
    assert top > staff.height // 2
    assert bottom < staff.height * 3 // 4
    assert left < 625
    assert right > 1875


def test_colours_come_from_the_program(menus, design: CardDesign) -> None:
    page = menus[2].page
    red = dataclasses.replace(design, background="#FF0000")

    with Image.open(io.BytesIO(render_page(page, red))) as image:
        gap = image.getpixel((625, 400))  # between two tiles
    with Image.open(io.BytesIO(menus[2].image)) as image:
        usual = image.getpixel((625, 400))

    assert gap == (255, 0, 0)
    assert usual == Image.new("RGB", (1, 1), design.background).getpixel((0, 0))


def test_rendering_is_repeatable(menus, design: CardDesign) -> None:
    render_page.cache_clear()

    assert render_page(menus[2].page, design) == menus[2].image
