"""Reminder, expired-points and settings messages: valid for the SDK, within LINE's limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from linebot.v3.messaging import FlexMessage, Message

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.messages.notices import ExpiredView, ReminderView, expired_message, reminder_message
from bot.messages.settings_view import settings_message

DESIGN = load_program(DEFAULT_PROGRAM).card
LONG_NAME = replace(DESIGN, store_name="店" * 400)
BUBBLE_LIMIT = 30_000
ALT_TEXT_LIMIT = 1500
POSTBACK_DATA_LIMIT = 300
BUTTON_LABEL_LIMIT = 40


def _check(message: dict) -> None:
    assert isinstance(Message.from_dict(message), FlexMessage)
    assert 0 < len(message["altText"]) <= ALT_TEXT_LIMIT
    size = len(json.dumps(message["contents"], ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= BUBBLE_LIMIT
    for button in message["contents"]["footer"]["contents"]:
        assert len(button["action"]["label"]) <= BUTTON_LABEL_LIMIT
        assert len(button["action"]["data"]) <= POSTBACK_DATA_LIMIT


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("design", [DESIGN, LONG_NAME])
def test_reminder(language, design):
    message = reminder_message(language, design, ReminderView(10**9, date(2027, 11, 30), 10**10))
    _check(message)
    assert "1,000,000,000" in message["altText"]
    assert ("2027年11月30日" if language == "ja" else "30 Nov 2027") in message["altText"]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("design", [DESIGN, LONG_NAME])
def test_expired_notice_names_at_most_three_days(language, design):
    days = tuple(date(2027, m, 1) for m in range(1, 8))
    message = expired_message(language, design, ExpiredView(1234, days, 0))
    _check(message)
    assert "1,234" in message["altText"]
    body = json.dumps(message["contents"], ensure_ascii=False)
    assert ("2027年7月1日" if language == "ja" else "1 Jul 2027") in body
    assert ("2027年4月1日" if language == "ja" else "1/4/2027") not in body


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("enabled", [True, False])
def test_settings(language, enabled):
    message = settings_message(language, DESIGN, reminders=enabled, note="x" * 500)
    _check(message)
    data = message["contents"]["footer"]["contents"][0]["action"]["data"]
    assert data == f"action=settings&reminders={'off' if enabled else 'on'}"


@pytest.mark.parametrize(
    ("language", "title"),
    [("ja", "ポイントの有効期限が近づいています"), ("en", "Reminder: points expiring soon")],
)
def test_the_reminder_is_titled_as_a_reminder_not_as_points_lost(language, title):
    message = reminder_message(language, DESIGN, ReminderView(5, date(2027, 11, 30), 10))
    header = [t["text"] for t in message["contents"]["header"]["contents"]]
    assert title in header
    # "失効のお知らせ" reads as "your points expired": only the notice after expiry says that.
    assert not any("失効のお知らせ" in t or "expired" in t.lower() for t in header)


@pytest.mark.parametrize(
    ("language", "off", "on"),
    [("ja", "お知らせはオフです", "お知らせします"), ("en", "Reminders are off", "We tell you")],
)
def test_settings_say_reminders_are_off_when_they_are(language, off, on):
    def body_texts(enabled: bool) -> str:
        message = settings_message(language, DESIGN, reminders=enabled)
        return " ".join(c.get("text", "") for c in message["contents"]["body"]["contents"])

    assert off in body_texts(False)
    assert on not in body_texts(False)
    assert on in body_texts(True)
    assert off not in body_texts(True)
