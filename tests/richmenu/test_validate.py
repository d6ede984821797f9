"""Local checks against LINE's rich menu rules, each problem named before LINE is asked."""

from __future__ import annotations

import dataclasses
import io
import os

import pytest
from PIL import Image

from bot.domain.colours import AA_CONTRAST, contrast_ratio, ink_on, rgb
from richmenu.build import build_menus
from richmenu.model import Bounds, Button, Page
from richmenu.render import palette, text_colours
from richmenu.validate import (
    MAX_IMAGE_BYTES,
    InvalidMenuError,
    check_colours,
    check_image,
    check_pages,
)


def _staff(pages: tuple[Page, ...]) -> Page:
    return next(page for page in pages if page.menu == "staff")


def _button(x: int, y: int = 0, **changes: object) -> Button:
    button = Button("ボタン", None, "card", Bounds(x, y, 100, 100), "action=card", None)
    return dataclasses.replace(button, **changes)


def _png(width: int, height: int, *, noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), "white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0 if noise else 6)
    return buffer.getvalue()


def test_the_bundled_definitions_pass(pages) -> None:
    assert check_pages(pages) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"buttons": tuple(_button(x * 100) for x in range(21))},
            "staff-main: has 21 areas; LINE allows 1-20",
            id="too-many-areas",
        ),
        pytest.param(
            {"buttons": (_button(2450),)},
            "staff-main: button 'ボタン' at [2450, 0, 100, 100] is not inside the 2500x843 image",
            id="area-outside-image",
        ),
        pytest.param(
            {"buttons": (_button(0, -1),)},
            "is not inside the 2500x843 image",
            id="area-above-image",
        ),
        pytest.param(
            {"chat_bar_text": "スタッフ用のメニューを開いてください"},
            "chat_bar_text 'スタッフ用のメニューを開いてください' must be 1-14 characters",
            id="chat-bar-text-too-long",
        ),
        pytest.param(
            {"width": 2500, "height": 1800},
            "size 2500x1800 has ratio 1.39; width / height must be at least 1.45",
            id="bad-ratio",
        ),
        pytest.param({"width": 700}, "width 700 must be 800-2500 pixels", id="too-narrow"),
        pytest.param(
            {"width": 2500, "height": 200},
            "height 200 must be at least 250 pixels",
            id="too-low",
        ),
        pytest.param(
            {"buttons": (_button(0), _button(50))},
            "button 'ボタン' and button 'ボタン' overlap",
            id="overlap",
        ),
        pytest.param(
            {"buttons": (_button(0, data="x" * 301),)},
            "data must be 1-300 characters",
            id="data-too-long",
        ),
        pytest.param(
            {"buttons": (_button(0, data="card"),)},
            "button 'ボタン': data 'card' is not a postback the bot serves: has no action=",
            id="data-without-action",
        ),
        pytest.param(
            {"buttons": (_button(0, data="action=staff_scna"),)},
            "button 'ボタン': data 'action=staff_scna' is not a postback the bot serves: "
            "action 'staff_scna' is not one the bot knows (card, points,",
            id="unknown-action",
        ),
        pytest.param(
            {"buttons": (_button(0, data="action=history&before=latest"),)},
            "button 'ボタン': data 'action=history&before=latest' is not a postback the bot "
            "serves: before='latest' is not valid for action 'history'",
            id="bad-field-value",
        ),
        pytest.param(
            {"buttons": (_button(0, data="action=card&size=big"),)},
            "action 'card' takes no size",
            id="unknown-field",
        ),
        pytest.param(
            {"buttons": (_button(0, data="action=staff_confirm"),)},
            "action 'staff_confirm' needs a valid t=",
            id="missing-field",
        ),
        pytest.param(
            {"buttons": (_button(0, label="あ" * 21),)},
            "label must be 1-20 characters",
            id="label-too-long",
        ),
        pytest.param(
            {"buttons": (_button(0, display_text=""),)},
            "display_text must be 1-300 characters",
            id="empty-display-text",
        ),
        pytest.param(
            {"buttons": (_button(0, label="𠮷野家"),)},
            "label '𠮷野家' uses characters the font lacks: 𠮷",
            id="glyph-missing",
        ),
        pytest.param(
            {"alias": "loyalty-Staff"},
            "the staff menu's first page needs alias 'loyalty-staff'",
            id="staff-alias",
        ),
        pytest.param(
            {"alias": "staff"},
            "alias 'staff' must match [a-z0-9_-]{1,32} and start with 'loyalty-'",
            id="alias-prefix",
        ),
        pytest.param({"name": "Main"}, "name 'Main' must match", id="page-name"),
    ],
)
def test_each_rule_names_the_problem(pages, change: dict, expected: str) -> None:
    staff = dataclasses.replace(_staff(pages), **change)
    others = [page for page in pages if page.menu != "staff"]

    problems = check_pages([*others, staff])

    assert any(expected in problem for problem in problems), problems


def test_rules_across_pages(pages) -> None:
    shopper = [page for page in pages if page.menu == "shopper"]
    twice = dataclasses.replace(shopper[1], role="default", alias=shopper[0].alias)

    problems = check_pages([shopper[0], twice])

    assert "alias 'loyalty-shopper-a' is used by more than one page" in problems
    assert "exactly one menu needs role = 'default'; found 2" in problems


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param(_png(2500, 842), "image is 2500x842 but the menu is 2500x843", id="size"),
        pytest.param(b"GIF89a....", "image is not a PNG or JPEG file", id="not-an-image"),
    ],
)
def test_image_checks(pages, image: bytes, expected: str) -> None:
    problems = check_image(_staff(pages), image)

    assert any(expected in problem for problem in problems), problems


def test_image_over_1_mb_is_refused(pages) -> None:
    image = _png(2500, 843, noise=True)

    problems = check_image(_staff(pages), image)

    assert problems == [
        f"staff-main: image is {len(image):,} bytes; LINE accepts {MAX_IMAGE_BYTES:,}"
    ]


def test_build_reports_every_problem_at_once(pages, design) -> None:
    staff = dataclasses.replace(_staff(pages), chat_bar_text="", buttons=(_button(2450),))

    with pytest.raises(InvalidMenuError) as excinfo:
        build_menus([*pages[:2], staff], design)

    assert len(excinfo.value.problems) == 2


def test_the_bundled_colours_read(pages, design) -> None:
    assert check_colours(pages, design) == []
    for pair in text_colours(design):
        assert contrast_ratio(pair.ink, pair.background) >= AA_CONTRAST


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"accent": "#F2C94C"},
            "button labels: card.accent #F2C94C on card.foreground #FFFFFF has a contrast of "
            "1.58:1; WCAG AA needs 4.5:1",
        ),
        (
            {"foreground": "#FFE9A8", "accent": "#FFFFFF"},
            "button labels: card.accent #FFFFFF on card.foreground #FFE9A8",
        ),
        (
            {"background": "#777777"},
            "the open tab's label: neither black nor white text reaches 4.5:1 on "
            "card.background #777777 (at best 4.47:1)",
        ),
    ],
)
def test_labels_that_would_not_read_are_refused_naming_the_colour(
    pages, design, change: dict, expected: str
) -> None:
    pale = dataclasses.replace(design, **change)
    assert any(expected in p for p in check_colours(pages, pale)), check_colours(pages, pale)
    with pytest.raises(InvalidMenuError) as excinfo:
        build_menus(pages, pale)
    assert any(expected in p for p in excinfo.value.problems)


def test_tabs_only_count_where_there_are_tabs(pages, design) -> None:
    # A grey brand colour fails only the tab label drawn on it; a menu without tabs is fine.
    grey = dataclasses.replace(design, background="#777777")
    assert check_colours([_staff(pages)], grey) == []


@pytest.mark.parametrize("background", ["#06C755", "#D4AF37", "#1E3A5F", "#C0392B", "#F2C94C"])
def test_tabs_use_the_one_ink_rule(design, background: str) -> None:
    colours = palette(dataclasses.replace(design, background=background, accent=background))
    assert colours.tab_text == rgb(ink_on(background))
    assert colours.tab_bar_text == rgb(ink_on(background))


def test_english_labels_are_softer_but_still_read(design) -> None:
    colours = palette(design)
    subtext = "#{:02X}{:02X}{:02X}".format(*colours.subtext)
    assert colours.subtext != colours.text
    assert contrast_ratio(subtext, design.foreground) >= AA_CONTRAST
