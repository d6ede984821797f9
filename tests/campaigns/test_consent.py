"""The shopper's say over notices: the welcome says what the card records, where the program
asks for opt-in a quick reply asks, and settings turn offers on and off; notices follow."""

from __future__ import annotations

from bot.operations import campaigns
from bot.operations.campaigns import Segment
from tests.support import events


def _reply(post_webhook, run_jobs, fake_line, event) -> list[dict]:
    before = len(fake_line.replies())
    post_webhook(event)
    run_jobs()
    return fake_line.replies()[before:][0]["messages"]


def test_the_welcome_says_what_the_card_records(post_webhook, run_jobs, fake_line):
    messages = _reply(post_webhook, run_jobs, fake_line, events.follow(events.user_id()))
    assert "お買い物・ポイント・来店・特典の記録" in messages[0]["text"]
    assert len(messages) == 2  # no opt-in question: the example program does not ask


def test_settings_turn_offers_off_and_notices_leave_the_member_out(
    post_webhook, run_jobs, fake_line, member, services
):
    [shown] = _reply(post_webhook, run_jobs, fake_line, events.text(member.line_user_id, "設定"))
    datas = [b["action"]["data"] for b in shown["contents"]["footer"]["contents"]]
    assert "action=settings&promotions=off" in datas
    off = events.postback(member.line_user_id, "action=settings&promotions=off")
    [changed] = _reply(post_webhook, run_jobs, fake_line, off)
    assert "お得なお知らせを止めました" in str(changed)
    assert not services.store.member(member.member_id).promotions
    selection = campaigns.resolve(services, Segment(), services.clock())
    assert member.member_id not in selection.member_ids
    assert selection.left_out["promotions off"] == 1
