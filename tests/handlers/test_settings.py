"""The shopper's settings: expiry reminders off and on, through the webhook."""

from __future__ import annotations

import pytest

from tests.support import events
from tests.support.flex import texts_in


@pytest.fixture
def shopper(services):
    user = events.user_id()
    member, _ = services.store.register_member(user, "Hanako", "ja")
    return member


def _ask(post_webhook, run_jobs, fake_line, user: str, event: dict) -> dict:
    fake_line.reset()
    post_webhook(event)
    run_jobs()
    [reply] = fake_line.replies()
    return reply["messages"][0]


def _button_data(message: dict) -> str:
    return message["contents"]["footer"]["contents"][0]["action"]["data"]


def test_settings_show_the_reminder_state_and_toggle_it(
    post_webhook, run_jobs, fake_line, services, shopper
):
    user = shopper.line_user_id
    shown = _ask(post_webhook, run_jobs, fake_line, user, events.postback(user, "action=settings"))
    assert shown["altText"] == "設定: 有効期限のお知らせ オン"
    assert _button_data(shown) == "action=settings&reminders=off"
    off = _ask(post_webhook, run_jobs, fake_line, user, events.postback(user, _button_data(shown)))
    assert "有効期限のお知らせをオフにしました。" in texts_in(off)
    assert _button_data(off) == "action=settings&reminders=on"
    assert services.store.member(shopper.member_id).reminders is False
    on = _ask(post_webhook, run_jobs, fake_line, user, events.postback(user, _button_data(off)))
    assert on["altText"] == "設定: 有効期限のお知らせ オン"
    assert services.store.member(shopper.member_id).reminders is True


@pytest.mark.parametrize("word", ["設定", "Settings", "ｓｅｔｔｉｎｇｓ"])
def test_settings_keyword(post_webhook, run_jobs, fake_line, shopper, word):
    user = shopper.line_user_id
    shown = _ask(post_webhook, run_jobs, fake_line, user, events.text(user, word))
    assert shown["type"] == "flex"
    assert _button_data(shown) == "action=settings&reminders=off"


@pytest.mark.parametrize("data", ["action=settings&reminders=maybe", "action=settings&x=1"])
def test_unknown_choices_change_nothing(post_webhook, run_jobs, fake_line, services, shopper, data):
    user = shopper.line_user_id
    shown = _ask(post_webhook, run_jobs, fake_line, user, events.postback(user, data))
    assert _button_data(shown) == "action=settings&reminders=off"
    assert services.store.member(shopper.member_id).reminders is True


def test_stranger_gets_no_record(post_webhook, run_jobs, fake_line, services):
    user = events.user_id()
    data = "action=settings&reminders=off"
    reply = _ask(post_webhook, run_jobs, fake_line, user, events.postback(user, data))
    assert reply["type"] == "text"
    assert services.store.member_for_user(user) is None
    assert services.store.set_reminders("nobody", False) is False
