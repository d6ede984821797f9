"""The pushed receipt shows what the till sent: the items, the amount paid after points, the
receipt number, and a rank reached; the history shows the sale's own time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from linebot.v3.messaging import FlexMessage, Message

from tests.support import events
from tests.support.flex import texts_in


@pytest.fixture
def pos(client, store_key):
    def post(body):
        return client.post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {store_key}"}
        )

    return post


def _receipt(fake_line, member) -> dict:
    # A sale that reaches a rank also brings the rank-up message: the receipt is the one
    # about the purchase.
    messages = fake_line.messages_for(member.line_user_id)
    [message] = [m for m in messages if m.get("altText", "").startswith("Shibuya")]
    assert isinstance(Message.from_dict(message), FlexMessage)
    return message


ITEMS = [
    {"name": "おにぎり 鮭", "quantity": 2, "unit_price": 160},
    {"name": "緑茶 500ml", "quantity": 1, "unit_price": 150},
]


def test_the_receipt_lists_the_items_the_number_and_what_was_paid_after_points(
    pos, member, services, card_code, run_jobs, fake_line
):
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="seed",
                           amount=100, reason="seed")  # fmt: skip
    body = {"transaction_id": "R-0042", "card_code": card_code(member), "amount": 470,
            "points_used": 70, "items": ITEMS}  # fmt: skip
    assert pos(body).status_code == 201
    run_jobs()
    texts = texts_in(_receipt(fake_line, member)["contents"])
    for expected in ("おにぎり 鮭 ×2", "¥320", "緑茶 500ml ×1", "¥150", "R-0042", "¥470", "-70 pt"):
        assert expected in texts, texts
    # 470 yen, 70 of it in points: 400 paid, and the receipt says so.
    assert texts[texts.index("お支払い金額") + 1] == "¥400"
    assert texts[texts.index("レシート番号") + 1] == "R-0042"


def test_a_receipt_of_many_items_lists_some_and_counts_the_rest(
    pos, member, card_code, run_jobs, fake_line
):
    items = [{"name": f"品物{i:03d}" + "あ" * 90, "quantity": 1, "unit_price": 10}
             for i in range(500)]  # fmt: skip
    body = {"transaction_id": "R-many", "card_code": card_code(member), "amount": 5000,
            "items": items}  # fmt: skip
    assert pos(body).status_code == 201
    run_jobs()
    message = _receipt(fake_line, member)
    texts = texts_in(message["contents"])
    assert "ほか 480 点" in texts
    assert len(json.dumps(message["contents"], ensure_ascii=False).encode()) <= 30_000


def test_a_receipt_without_points_used_shows_no_paid_line(
    pos, member, card_code, run_jobs, fake_line
):
    assert (
        pos({"transaction_id": "R-1", "card_code": card_code(member), "amount": 1280}).status_code
        == 201
    )
    run_jobs()
    texts = texts_in(_receipt(fake_line, member)["contents"])
    assert "お支払い金額" not in texts
    assert "ランクアップしました!" not in texts


def test_the_receipt_of_the_sale_that_reaches_a_rank_says_so(
    pos, member, card_code, run_jobs, fake_line
):
    # Silver is from 30,000 JPY of spend: the first sale stays regular, the second reaches it.
    assert (
        pos({"transaction_id": "R-1", "card_code": card_code(member), "amount": 29_000}).status_code
        == 201
    )
    run_jobs()
    assert "ランクアップしました!" not in texts_in(_receipt(fake_line, member)["contents"])
    fake_line.reset()
    assert (
        pos({"transaction_id": "R-2", "card_code": card_code(member), "amount": 2_000}).status_code
        == 201
    )
    run_jobs()
    receipt = _receipt(fake_line, member)
    texts = texts_in(receipt["contents"])
    assert "ランクアップしました!" in texts
    assert "シルバー" in texts
    assert "ランクアップ: シルバー" in receipt["altText"]


def test_the_receipt_header_names_the_store_in_the_shoppers_language(
    pos, services, card_code, run_jobs, fake_line, post_webhook
):
    user = events.user_id()
    fake_line.add_profile(user, "Alex", language="en")
    post_webhook(events.follow(user))
    run_jobs()
    fake_line.reset()
    member = services.store.member_for_user(user)
    assert (
        pos({"transaction_id": "R-en", "card_code": card_code(member), "amount": 100}).status_code
        == 201
    )
    run_jobs()
    receipt = _receipt(fake_line, member)
    assert texts_in(receipt["contents"]["header"])[0] == "Sakura Mart"
    assert "Receipt No." in texts_in(receipt["contents"])


def test_history_shows_the_sale_at_the_time_the_till_says_with_the_year_and_the_balance(
    pos, member, services, card_code, post_webhook, run_jobs, fake_line
):
    now = datetime.fromtimestamp(services.clock(), UTC)
    # A sale made offline 80 days ago (a till may upload up to 90 days late), uploaded now:
    # surely in another month, and in another year from October on.
    occurred = (now - timedelta(days=80)).replace(microsecond=0)
    body = {"transaction_id": "R-late", "card_code": card_code(member), "amount": 1000,
            "occurred_at": occurred.isoformat()}  # fmt: skip
    assert pos(body).status_code == 201
    run_jobs()
    fake_line.reset()
    post_webhook(events.postback(member.line_user_id, "action=history"))
    run_jobs()
    [reply] = fake_line.replies()
    texts = texts_in(reply["messages"][0]["contents"])
    local = occurred.astimezone(services.settings.program.timezone)
    year = "" if local.year == now.astimezone(local.tzinfo).year else f"{local.year}年"
    stamp = f"{year}{local.month}月{local.day}日 {local:%H:%M}"
    assert f"{stamp}  ·  残高 10 pt" in texts, texts


def test_the_member_export_writes_a_sales_own_time_in_iso_8601(
    app, pos, member, services, card_code
):
    zone = services.settings.program.timezone
    occurred = (datetime.fromtimestamp(services.clock(), UTC) - timedelta(days=10)).astimezone(zone)
    occurred = occurred.replace(microsecond=0)
    body = {"transaction_id": "R-x", "card_code": card_code(member), "amount": 1000,
            "occurred_at": occurred.isoformat()}  # fmt: skip
    assert pos(body).status_code == 201
    result = app.test_cli_runner().invoke(args=["member", "export", member.number])
    exported = json.loads(result.output)
    [earn] = [e for e in exported["history"] if e["kind"] == "earn"]
    assert datetime.fromisoformat(earn["o"]) == occurred
    assert earn["o"].endswith("+09:00")
