"""Shopper views of points: the summary and the history carousel, through the webhook."""

from __future__ import annotations

import json

import pytest

from tests.support import events
from tests.support.flex import texts_in

#: LINE's carousel limits (PRODUCT.md §5), read strictly.
CAROUSEL_BYTES = 50_000
CAROUSEL_BUBBLES = 12


@pytest.fixture
def shopper(post_webhook, run_jobs, fake_line, services):
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    post_webhook(events.follow(user))
    run_jobs()
    return services.store.member_for_user(user)


@pytest.fixture
def buy(client, store_key, shopper, card_code):
    def post(txn: str, amount: int, used: int = 0):
        body = {"transaction_id": txn, "card_code": card_code(shopper), "amount": amount}
        body["points_used"] = used
        response = client.post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {store_key}"}
        )
        assert response.status_code == 201, response.json
        return response.json

    return post


def _ask(post_webhook, run_jobs, fake_line, user, data):
    fake_line.reset()
    post_webhook(events.postback(user, data))
    run_jobs()
    [reply] = fake_line.replies()
    return reply["messages"][0]


def test_points_summary_shows_balance_rank_next_rank_and_expiry(
    post_webhook, run_jobs, fake_line, shopper, buy
):
    buy("T1", 12_000)
    message = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, "action=points")
    texts = texts_in(message["contents"])
    assert "120 pt" in texts
    assert "レギュラー" in texts
    assert "あと¥18,000のお買い物でシルバー" in texts
    assert any(t.endswith("日まで") for t in texts)


def test_points_keyword_in_english(post_webhook, run_jobs, fake_line, services, buy, shopper):
    services.store.register_member(shopper.line_user_id, "Hanako", "en")
    fake_line.reset()
    post_webhook(events.text(shopper.line_user_id, "Points"))
    run_jobs()
    [reply] = fake_line.replies()
    assert reply["messages"][0]["altText"].startswith("Balance 0 pt / rank Regular")


def test_history_lists_entries_newest_first_with_store_and_pages_older(
    post_webhook, run_jobs, fake_line, shopper, buy
):
    for i in range(30):
        buy(f"T{i}", 1000 + i * 100)
    buy("T-use", 500, used=50)
    message = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, "action=history")
    carousel = message["contents"]
    assert carousel["type"] == "carousel"
    assert len(carousel["contents"]) <= CAROUSEL_BUBBLES
    size = len(json.dumps(carousel, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= CAROUSEL_BYTES
    texts = texts_in(carousel)
    # Newest first: the last purchase's earn (+6 at silver), then its redemption.
    assert texts[1:3] == ["お買い上げ Shibuya", "+6 pt"]
    assert texts[4:6] == ["ポイント利用 Shibuya", "-50 pt"]
    older = carousel["contents"][-1]["footer"]["contents"][0]["action"]["data"]
    assert older.startswith("action=history&before=")

    page2 = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, older)
    page2_texts = texts_in(page2["contents"])
    assert "お買い上げ Shibuya" in page2_texts
    # 32 entries: 24 on the first page, 8 on the second, which has no further "older" button.
    rows = sum(len(b["body"]["contents"]) for b in page2["contents"]["contents"])
    assert rows == 32 - 24
    assert "footer" not in page2["contents"]["contents"][-1]


@pytest.mark.parametrize(
    "data",
    [
        "action=history&before=9999999999999-0",
        "action=history&before=x;FLUSHALL",
        "action=history&before=",
    ],
)
def test_history_with_hostile_cursor_is_safe(post_webhook, run_jobs, fake_line, shopper, buy, data):
    buy("T1", 1000)
    message = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, data)
    assert message["type"] in ("flex", "text")


def test_history_when_empty(post_webhook, run_jobs, fake_line, shopper):
    message = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, "action=history")
    assert message == {"type": "text", "text": "まだポイントの履歴はありません。"}


def test_expired_points_leave_the_card_balance(
    post_webhook, run_jobs, fake_line, shopper, buy, services
):
    buy("T1", 1000)
    services.clock = lambda: 4_000_000_000  # long after any lifetime
    message = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, "action=card")
    assert "0 pt" in texts_in(message["contents"])
    history = _ask(post_webhook, run_jobs, fake_line, shopper.line_user_id, "action=history")
    assert "有効期限切れ" in texts_in(history["contents"])
