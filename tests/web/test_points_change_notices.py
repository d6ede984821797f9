"""Shoppers are told when their points change without a purchase: a refund at the till, a
staff member's undo (tests/handlers/test_staff_desk.py) and an admin's adjustment. One push
each, written to the outbox in the ledger step itself, with a retry key fixed by what it is."""

from __future__ import annotations

import dataclasses

import pytest
from linebot.v3.messaging import FlexMessage, Message

from bot.domain.retry_keys import adjustment_retry_key, refund_notice_retry_key
from bot.store import keys
from tests.support.flex import texts_in


@pytest.fixture
def headers(store_key):
    return {"Authorization": f"Bearer {store_key}"}


def _changes(fake_line, member) -> list[dict]:
    found = [
        m
        for m in fake_line.messages_for(member.line_user_id)
        if "ポイントが変わりました" in m["altText"]
    ]
    for message in found:
        assert isinstance(Message.from_dict(message), FlexMessage)
    return found


def test_a_refund_at_the_till_is_told_once_however_often_the_till_repeats_it(
    client, headers, member, card_code, run_jobs, fake_line, services
):
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="seed",
                           amount=100, reason="seed")  # fmt: skip
    sale = {"transaction_id": "T-r", "card_code": card_code(member), "amount": 5000,
            "points_used": 100}  # fmt: skip
    assert client.post("/api/v1/transactions", json=sale, headers=headers).status_code == 201
    run_jobs()
    fake_line.reset()
    for _ in range(3):
        assert client.post("/api/v1/transactions/T-r/refund", headers=headers).status_code == 201
        run_jobs()
    [notice] = _changes(fake_line, member)
    texts = texts_in(notice["contents"])
    assert any("Shibuyaでのお買い上げ（レシート番号 T-r）が返品" in t for t in texts), texts
    assert "+100 pt" in texts  # the points the sale used, given back
    assert "-49 pt" in texts  # the points it earned (on 4,900 yen), taken back
    assert "100 pt" in texts  # the balance now
    [push] = fake_line.recorded("/v2/bot/message/push")
    assert push.headers["x-line-retry-key"] == refund_notice_retry_key("S001", "T-r")


def test_a_refund_that_changes_no_points_says_nothing(
    client, headers, member, card_code, run_jobs, fake_line
):
    sale = {"transaction_id": "T-0", "card_code": card_code(member), "amount": 99}
    assert client.post("/api/v1/transactions", json=sale, headers=headers).status_code == 201
    run_jobs()
    fake_line.reset()
    assert client.post("/api/v1/transactions/T-0/refund", headers=headers).status_code == 201
    run_jobs()
    assert _changes(fake_line, member) == []


def test_an_admin_adjustment_is_told_once_with_its_reason(
    app, member, run_jobs, fake_line, services
):
    runner = app.test_cli_runner()
    args = ["member", "adjust", member.number, "--points", "120", "--reason", "お詫び",
            "--key", "sorry-1"]  # fmt: skip
    for _ in range(2):  # the same key twice: one adjustment, one notice
        assert runner.invoke(args=args).exit_code == 0
    # The notice respects quiet hours: run it as if they were over.
    program = services.settings.program
    reminders = dataclasses.replace(program.reminders, quiet_hours=None)
    services.settings = dataclasses.replace(
        services.settings, program=dataclasses.replace(program, reminders=reminders)
    )
    run_jobs()
    [notice] = _changes(fake_line, member)
    texts = texts_in(notice["contents"])
    assert "ポイントを調整しました: お詫び" in texts
    assert "+120 pt" in texts
    [push] = fake_line.recorded("/v2/bot/message/push")
    expected = adjustment_retry_key(keys.adjustment_op("sorry-1"))
    assert push.headers["x-line-retry-key"] == expected


def test_a_shopper_who_blocked_the_account_gets_no_notice(
    client, headers, member, card_code, run_jobs, fake_line, services
):
    sale = {"transaction_id": "T-b", "card_code": card_code(member), "amount": 5000}
    assert client.post("/api/v1/transactions", json=sale, headers=headers).status_code == 201
    run_jobs()
    services.store.deactivate(member.line_user_id)
    fake_line.reset()
    assert client.post("/api/v1/transactions/T-b/refund", headers=headers).status_code == 201
    run_jobs()
    assert fake_line.recorded("/v2/bot/message/push") == []
    assert services.store.redis.hlen(keys.outbox(member.member_id)) == 0
