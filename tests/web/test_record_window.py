"""A sale's idempotency record and transaction binding expire; a late retry never grants twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import keys
from bot.store.ledger import RECORD_TTL
from tests.support.moments import DAY, T0

STATIC = """
[program]
name = "テスト店"

[card]
code_mode = "static"
"""


@pytest.fixture
def sell(client, store_key):
    def post(body: dict):
        headers = {"Authorization": f"Bearer {store_key}"}
        return client.post("/api/v1/transactions", json=body, headers=headers)

    return post


def _record(member) -> str:
    return keys.operation_record(member.member_id, keys.purchase_op("S001", "R-1"))


def _balance(services, member) -> int:
    return services.store.member(member.member_id).balance


def test_the_record_is_kept_90_days_and_the_binding_a_day_longer(
    services, member, clock, card_code, sell
):
    body = {"transaction_id": "R-1", "card_code": card_code(member), "amount": 1000}
    assert sell(body).status_code == 201
    redis = services.store.redis
    assert RECORD_TTL == 90 * DAY
    assert RECORD_TTL - 5 <= redis.ttl(_record(member)) <= RECORD_TTL
    binding = redis.ttl(keys.store_transaction("S001", "R-1"))
    assert RECORD_TTL + DAY - 5 <= binding <= RECORD_TTL + DAY
    # Nothing of the sale is a field of the ops hash any more (it was kept forever there).
    assert redis.hkeys(keys.member_ledger(member.member_id).ops) == []


def test_a_retry_after_the_record_expired_is_refused_and_grants_nothing(
    services, member, clock, card_code, sell, client, store_key
):
    services.ledger.record_ttl = 1  # Redis expires it for real, in a second
    body = {"transaction_id": "R-1", "card_code": card_code(member), "amount": 1000}
    assert sell(body).status_code == 201
    assert sell(body).headers["Idempotent-Replayed"] == "true"
    deadline = time.monotonic() + 5
    while services.store.redis.exists(_record(member)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not services.store.redis.exists(_record(member))
    answer = sell(body)
    assert answer.status_code == 409
    assert answer.json["title"] == "Transaction too old to replay"
    assert _balance(services, member) == 10
    refund = client.post(
        "/api/v1/transactions/R-1/refund", headers={"Authorization": f"Bearer {store_key}"}
    )
    assert refund.status_code == 404
    assert "last 90 days" in refund.json["detail"]
    assert _balance(services, member) == 10


def test_a_retry_after_the_binding_expired_needs_a_code_valid_now(
    services, member, clock, card_code, sell
):
    body = {"transaction_id": "R-1", "card_code": card_code(member), "amount": 1000}
    assert sell(body).status_code == 201
    clock(T0 + 92 * DAY)
    # What Redis does 90 and 91 days on: both are gone.
    services.store.redis.delete(_record(member), keys.store_transaction("S001", "R-1"))
    answer = sell(body)
    # The rotating code expired months ago, too long for it to be told from a forged one.
    assert answer.status_code == 404
    assert _balance(services, member) == 10


@pytest.mark.parametrize("program_text", [STATIC])
def test_a_static_card_retry_after_the_window_is_refused_by_its_occurred_at(
    services, member, clock, sell
):
    occurred = datetime.fromtimestamp(T0, UTC).isoformat()
    body = {"transaction_id": "R-1", "card_code": member.number, "amount": 1000,
            "occurred_at": occurred}  # fmt: skip
    assert sell(body).status_code == 201
    clock(T0 + 92 * DAY)
    services.store.redis.delete(_record(member), keys.store_transaction("S001", "R-1"))
    answer = sell(body)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json["errors"]] == ["occurred_at"]
    assert _balance(services, member) == 10
    # Without occurred_at the till says the sale is now: after the window it is a new sale,
    # as README's POS section says.
    now = datetime.fromtimestamp(T0 + 92 * DAY, UTC)
    late = {"transaction_id": "R-1", "card_code": member.number, "amount": 1000}
    assert sell(late).status_code == 201
    assert _balance(services, member) == 20
    assert now - timedelta(days=90) > datetime.fromtimestamp(T0, UTC)
