"""Leaving the program from the chat: a confirm step, the data deleted, what was deleted said."""

from __future__ import annotations

from tests.support import events


def _send(post_webhook, run_jobs, fake_line, event) -> list[dict]:
    before = len(fake_line.replies())
    post_webhook(event)
    run_jobs()
    replies = fake_line.replies()[before:]
    return replies[0]["messages"] if replies else []


def test_leave_asks_then_deletes_and_says_what(post_webhook, run_jobs, fake_line, member,
                                              services):  # fmt: skip
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="a",
                           amount=120, reason="seed")  # fmt: skip
    [confirm] = _send(post_webhook, run_jobs, fake_line, events.text(member.line_user_id, "退会"))
    assert "120 pt" in confirm["contents"]["body"]["contents"][0]["text"]
    buttons = [b["action"]["data"] for b in confirm["contents"]["footer"]["contents"]]
    assert buttons[0].startswith("action=leave&confirm=on&at=")
    assert buttons[1] == "action=leave&confirm=off"
    assert services.store.member(member.member_id) is not None  # nothing yet
    [kept] = _send(post_webhook, run_jobs, fake_line,
                   events.postback(member.line_user_id, buttons[1]))  # fmt: skip
    assert "やめました" in kept["text"]
    assert services.store.member(member.member_id) is not None
    [done] = _send(post_webhook, run_jobs, fake_line,
                   events.postback(member.line_user_id, buttons[0]))  # fmt: skip
    assert "退会しました" in done["text"]
    assert "120 pt" in done["text"]
    assert services.store.member(member.member_id) is None
    # A double tap: nothing left to delete.
    [again] = _send(post_webhook, run_jobs, fake_line,
                    events.postback(member.line_user_id, buttons[0]))  # fmt: skip
    assert "会員の記録はありません" in again["text"]


def test_an_old_leave_button_asks_again(post_webhook, run_jobs, fake_line, member, services):
    now = services.clock()
    old = f"action=leave&confirm=on&at={now - 11 * 60}"
    [asked] = _send(post_webhook, run_jobs, fake_line, events.postback(member.line_user_id, old))
    assert asked["type"] == "flex"  # the confirm step again, not a deletion
    assert services.store.member(member.member_id) is not None
    bare = "action=leave&confirm=on"
    [asked] = _send(post_webhook, run_jobs, fake_line, events.postback(member.line_user_id, bare))
    assert asked["type"] == "flex"
    assert services.store.member(member.member_id) is not None
