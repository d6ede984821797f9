"""The definition files: the bundled menus, and clear errors for malformed ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.line.rich_menus import STAFF_MENU_ALIAS
from bot.messages import postbacks
from richmenu.build import menu_body
from richmenu.model import Bounds, DefinitionError, load_definitions, parse_menu


def _areas(page) -> list[dict[str, Any]]:
    return [area["action"] for area in menu_body(page)["areas"]]


def test_shopper_menu_has_two_tabs_switched_by_aliases(pages) -> None:
    card, rewards = (page for page in pages if page.menu == "shopper")

    assert (card.role, rewards.role) == ("default", None)
    assert (card.width, card.height) == (2500, 1686)
    assert [tab.bounds for tab in card.tabs] == [
        Bounds(0, 0, 1250, 250),
        Bounds(1250, 0, 1250, 250),
    ]
    assert _areas(card) == [
        {
            "type": "richmenuswitch",
            "label": "特典・設定",
            "richMenuAliasId": "loyalty-shopper-b",
            "data": "action=tab&to=rewards",
        },
        {"type": "postback", "label": "会員証", "data": "action=card", "displayText": "会員証"},
        {
            "type": "postback",
            "label": "ポイント",
            "data": "action=points",
            "displayText": "ポイント",
        },
        {"type": "postback", "label": "履歴", "data": "action=history", "displayText": "履歴"},
    ]
    assert [a["data"] for a in _areas(rewards)] == [
        "action=tab&to=card",
        "action=rewards",
        "action=settings",
        "action=help",
    ]
    assert _areas(rewards)[0]["richMenuAliasId"] == "loyalty-shopper-a"


def test_staff_menu_has_four_postbacks(pages) -> None:
    (staff,) = (page for page in pages if page.menu == "staff")

    assert (staff.role, staff.alias, staff.tabs) == ("staff", STAFF_MENU_ALIAS, ())
    assert (staff.width, staff.height) == (2500, 843)
    assert [a["data"] for a in _areas(staff)] == [
        "action=staff_scan",
        "action=staff_code",
        "action=staff_today",
        "action=staff_undo",
    ]
    assert all(a["type"] == "postback" for a in _areas(staff))


def _minimal(**changes: Any) -> dict[str, Any]:
    button = {"label": "A", "icon": "card", "bounds": [0, 0, 800, 250], "data": "action=card"}
    raw = {
        "menu": "m",
        "role": "default",
        "size": [2500, 843],
        "chat_bar_text": "menu",
        "page": [{"name": "p", "alias": "loyalty-p", "button": [button]}],
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (_minimal(role="vip"), "x.toml: role = 'vip' must be one of default, staff"),
        (_minimal(size=[2500]), "x.toml: size = [2500] must be 2 integers [width, height]"),
        (_minimal(selected="yes"), "x.toml: selected = 'yes' must be true or false"),
        (_minimal(chatbar="x"), "x.toml: chatbar is not a known key"),
        (_minimal(page=[]), "x.toml: needs at least one [[page]]"),
        (
            _minimal(page=[{"name": "p", "alias": "loyalty-p", "button": [{"icon": "star"}]}]),
            "x.toml: page[0].button[0].icon = 'star' must be one of card, points",
        ),
        (
            _minimal(page=[{"name": "p", "alias": "loyalty-p", "button": [{"icon": "card"}]}]),
            "x.toml: page[0].button[0].bounds is missing",
        ),
        (
            _minimal(page=[{"name": "a", "alias": "loyalty-a"}, {"name": "b", "alias": "l-b"}]),
            "x.toml: tab_height is missing (needed for several pages)",
        ),
        (_minimal(page=[3]), "x.toml: page[0] = 3 must be a table"),
    ],
)
def test_malformed_definitions_name_the_key(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(DefinitionError) as excinfo:
        parse_menu(raw, "x.toml")

    assert any(p.startswith(expected) for p in excinfo.value.problems), excinfo.value.problems


def test_a_minimal_definition_parses() -> None:
    (page,) = parse_menu(_minimal(), "x.toml")

    assert (page.key, page.selected, page.buttons[0].label_en) == ("m-p", True, None)


def test_load_reports_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"no \*\.toml rich menu definitions"):
        load_definitions(tmp_path)

    (tmp_path / "bad.toml").write_text("menu = \n")
    with pytest.raises(DefinitionError, match=r"bad\.toml: cannot read"):
        load_definitions(tmp_path)


def test_every_postback_of_the_bundled_menus_unpacks(pages) -> None:
    sent = [action["data"] for page in pages for action in _areas(page)]

    found = [postbacks.unpack(data) for data in sent]

    assert None not in found, [postbacks.problem(data) for data in sent]
    assert {type(postback) for postback in found} >= {postbacks.Tab, postbacks.StaffScan}
