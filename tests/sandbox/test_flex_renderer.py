"""Every Flex message the bot's builders make is drawn by the page's renderer (flex.js) in a
real browser without an unknown component, and the drawing keeps what LINE would show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.messages import postbacks
from bot.messages.flex import CardView, ReceiptView, card_message, receipt_message
from bot.messages.notices import ExpiredView, ReminderView, expired_message, reminder_message
from bot.messages.points_views import HistoryLine, PointsView, history_message, points_message
from bot.messages.rewards_views import (
    OfferView,
    TicketView,
    exchange_confirm,
    rewards_message,
    staff_ticket_confirm,
    ticket_message,
    ticket_reminder_message,
    tickets_message,
)
from bot.messages.settings_view import settings_message
from bot.messages.staff_views import confirm_message, scan_prompt
from tests.support.browser import wait_for

By = pytest.importorskip("selenium.webdriver.common.by").By

DESIGN = load_program(DEFAULT_PROGRAM).card
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
IMAGE = "https://cards.example.test/media/card/x.png"


def _builders(language: str) -> dict[str, dict[str, Any]]:
    """One output of every message builder, with images and long lists where they can be."""
    card = CardView("Hanako", "2912345678903", 120, IMAGE, valid_until=NOW)
    points = PointsView(120, "Regular", "#9E9E9E", "Silver", 18_000, ((NOW, 12),))
    lines = [HistoryLine(NOW, "お買い上げ", 10, 100)] * 30
    offers = [
        OfferView("coffee", "コーヒー", 50, "30日", 0, None, IMAGE),
        OfferView("bag", "エコバッグ", 200, "60日", 80, 3),
    ]
    ticket = TicketView("コーヒー", "48213377000391205846", date(2027, 3, 31), IMAGE)
    return {
        "card": card_message(language, DESIGN, card),
        "receipt": receipt_message(language, DESIGN, ReceiptView("S", NOW, 1000, 10, 0, 10)),
        "points": points_message(language, DESIGN, points),
        "history": history_message(
            language, DESIGN, lines, postbacks.History(before="1700000000000-0")
        ),
        "settings": settings_message(language, DESIGN, reminders=True, note="ok"),
        "reminder": reminder_message(language, DESIGN, ReminderView(10, date(2027, 3, 31), 10)),
        "expired": expired_message(language, DESIGN, ExpiredView(10, (date(2027, 3, 1),), 0)),
        "confirm": confirm_message(
            language, "2912345678903", 1280, 100, "L0123abcd0123456789ab", 11
        ),
        "scan": scan_prompt(language),
        "rewards": rewards_message(language, DESIGN, 120, offers),
        "exchange": exchange_confirm(language, DESIGN, offers[0], 120, "0f" * 8),
        "ticket": ticket_message(language, DESIGN, ticket),
        "tickets": tickets_message(language, DESIGN, [ticket, ticket]),
        "ticket-reminder": ticket_reminder_message(language, DESIGN, ticket),
        "staff-ticket": staff_ticket_confirm(
            language, "コーヒー", "2912345678903", date(2027, 3, 31), "T0123abcd0123456789ab"
        ),
    }


RENDER = """
const drawn = SandboxFlex.render(arguments[0]);
const box = document.createElement("div");
box.className = "msg";
box.appendChild(drawn.element);
document.body.appendChild(box);
const result = {
  unknown: drawn.unknown,
  bubbles: drawn.element.querySelectorAll(".flex-bubble").length
    + (drawn.element.classList.contains("flex-bubble") ? 1 : 0),
  images: Array.from(drawn.element.querySelectorAll("img")).map((i) => i.getAttribute("src")),
  buttons: Array.from(drawn.element.querySelectorAll(".flex-button")).map((b) => b.textContent),
  text: drawn.element.textContent,
  width: drawn.element.getBoundingClientRect().width,
};
box.remove();
return result;
"""


@pytest.fixture
def renderer(browser, live_sandbox):
    """The page loaded, with its Flex renderer ready."""
    browser.get(f"{live_sandbox.url}/_sandbox/")
    wait_for(browser, lambda d: d.execute_script("return typeof SandboxFlex === 'object'"))
    return lambda contents: browser.execute_script(RENDER, contents)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_flex_builder_renders_without_an_unknown_component(renderer, language):
    flexes = {n: m for n, m in _builders(language).items() if m["type"] == "flex"}
    assert len(flexes) >= 13  # the scan prompt is text with quick replies
    for name, message in flexes.items():
        drawn = renderer(message["contents"])
        assert drawn["unknown"] == [], name
        contents = message["contents"]
        expected = len(contents["contents"]) if contents["type"] == "carousel" else 1
        assert drawn["bubbles"] == expected, name
        assert drawn["width"] > 0, name
        labels = [
            node["action"]["label"]
            for node in _walk(contents)
            if node.get("type") == "button" and "action" in node
        ]
        assert drawn["buttons"] == labels, name
        for text in (node["text"] for node in _walk(contents) if node.get("type") == "text"):
            assert text.replace("\n", "") in drawn["text"].replace("\n", ""), (name, text)


def test_the_card_draws_its_image_from_the_signed_url(renderer):
    drawn = renderer(_builders("ja")["card"]["contents"])
    assert drawn["images"] == [IMAGE]


def test_a_component_it_does_not_know_is_shown_and_reported(renderer):
    bubble = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": "ok"}, {"type": "barcode", "code": "1"}],
        },
    }
    assert renderer(bubble)["unknown"] == ["barcode"]
    assert renderer({"type": "bubbles"})["unknown"] == ["bubbles"]


def test_layout_follows_lines_rules(browser, renderer):
    # Two texts in a horizontal box share the width by flex (2:1), a separator is a line, and
    # the image keeps its aspect ratio at the bubble's width.
    bubble = {
        "type": "bubble",
        "size": "kilo",
        "hero": {"type": "image", "url": IMAGE, "size": "full", "aspectRatio": "2:1"},
        "body": {
            "type": "box",
            "layout": "horizontal",
            "paddingAll": "0px",
            "contents": [
                {"type": "text", "text": "a", "flex": 2},
                {"type": "text", "text": "b", "flex": 1},
            ],
        },
    }
    sizes = browser.execute_script(
        """
        const drawn = SandboxFlex.render(arguments[0]).element;
        document.body.appendChild(drawn);
        const texts = drawn.querySelectorAll(".flex-text");
        const frame = drawn.querySelector(".flex-image-frame").getBoundingClientRect();
        const out = [drawn.getBoundingClientRect().width, texts[0].getBoundingClientRect().width,
                     texts[1].getBoundingClientRect().width, frame.width, frame.height];
        drawn.remove();
        return out;
        """,
        bubble,
    )
    bubble_width, first, second, image_width, image_height = sizes
    assert bubble_width == 260  # kilo
    assert abs(first - 2 * second) < 1.5
    assert image_width == 260
    assert abs(image_height - 130) < 1.5


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
