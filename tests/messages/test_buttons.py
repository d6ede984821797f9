"""Every button and quick reply a builder emits sends a postback the bot knows."""

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
from bot.messages.settings_view import settings_message
from bot.messages.staff_views import confirm_message, scan_prompt

DESIGN = load_program(DEFAULT_PROGRAM).card
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
LINES = [HistoryLine(NOW, "お買い上げ", 10, 100)] * 30


def _messages(language: str) -> dict[str, dict[str, Any]]:
    card = CardView("Hanako", "2912345678903", 120, "https://x.test/c.png", valid_until=NOW)
    points = PointsView(120, "Regular", "#9E9E9E", "Silver", 18_000, ((NOW, 12),))
    older = postbacks.History(before="1700000000000-0")
    return {
        "card": card_message(language, DESIGN, card),
        "receipt": receipt_message(language, DESIGN, ReceiptView("S", NOW, 1000, 10, 0, 10)),
        "points": points_message(language, DESIGN, points),
        "history": history_message(language, DESIGN, LINES, older),
        "settings-on": settings_message(language, DESIGN, reminders=True),
        "settings-off": settings_message(language, DESIGN, reminders=False),
        "reminder": reminder_message(language, DESIGN, ReminderView(10, date(2027, 3, 31), 10)),
        "expired": expired_message(language, DESIGN, ExpiredView(10, (date(2027, 3, 1),), 0)),
        "confirm": confirm_message(
            language, "2912345678903", 1280, 100, "L0123abcd0123456789ab", 11
        ),
        "scan": scan_prompt(language),
    }


def _actions(node: Any) -> list[dict[str, Any]]:
    """Every action object in a message tree: buttons, quick replies, anything tappable."""
    if isinstance(node, dict):
        own = [node["action"]] if isinstance(node.get("action"), dict) else []
        return own + [a for key, v in node.items() if key != "action" for a in _actions(v)]
    if isinstance(node, list):
        return [a for v in node for a in _actions(v)]
    return []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_postback_a_builder_emits_unpacks(language):
    sent: set[postbacks.Action] = set()
    for name, message in _messages(language).items():
        for action in _actions(message):
            if "data" not in action:
                assert action["type"] in ("camera", "cameraRoll"), (name, action)
                continue
            found = postbacks.unpack(action["data"])
            assert found is not None, (name, action["data"], postbacks.problem(action["data"]))
            sent.add(found.action)
    assert sent == {
        postbacks.Action.CARD,
        postbacks.Action.POINTS,
        postbacks.Action.HISTORY,
        postbacks.Action.SETTINGS,
        postbacks.Action.STAFF_CONFIRM,
        postbacks.Action.STAFF_CANCEL,
    }


def test_the_buttons_carry_their_fields():
    messages = _messages("ja")
    datas = {name: [a.get("data") for a in _actions(m)] for name, m in messages.items()}
    assert datas["history"][-1] == "action=history&before=1700000000000-0"
    assert datas["settings-on"] == [
        "action=settings&reminders=off",
        "action=settings&promotions=off",
    ]
    assert datas["settings-off"] == [
        "action=settings&reminders=on",
        "action=settings&promotions=off",
    ]
    assert datas["confirm"] == [
        "action=staff_confirm&t=L0123abcd0123456789ab",
        "action=staff_cancel",
    ]
