"""POST /api/v1/transactions: grants, idempotency, errors, and the pushed receipt."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime

import pytest

from tests.support import events


@pytest.fixture
def pos(client, store_key):
    """POST a transaction as store S001."""

    def post(body, key: str = store_key):
        return client.post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {key}"}
        )

    return post


def test_purchase_grants_points_and_pushes_receipt_with_retry_key(
    pos, member, run_jobs, fake_line, services, card_code
):
    response = pos({"transaction_id": "T-1", "card_code": card_code(member), "amount": 1280})
    assert response.status_code == 201
    assert response.json == {
        "member_number": member.number,
        "points_earned": 12,
        "points_used": 0,
        "balance": 12,
        "rank": "regular",
    }
    assert services.store.member(member.member_id).balance == 12
    run_jobs()
    [push] = fake_line.recorded("/v2/bot/message/push")
    assert push.status == 200
    assert push.json["to"] == member.line_user_id
    assert push.headers["x-line-retry-key"]
    receipt = push.json["messages"][0]
    assert receipt["type"] == "flex"
    assert "¥1,280" in receipt["altText"]


def test_same_transaction_again_returns_first_result_without_second_grant_or_push(
    pos, member, run_jobs, fake_line, services, card_code
):
    body = {"transaction_id": "T-2", "card_code": card_code(member), "amount": 5000}
    first = pos(body)
    run_jobs()
    again = pos(body)
    run_jobs()
    assert again.status_code == first.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert services.store.member(member.member_id).balance == 50
    assert len(fake_line.recorded("/v2/bot/message/push")) == 1


def test_same_id_different_body_is_409(pos, member, services, card_code):
    assert (
        pos({"transaction_id": "T-3", "card_code": card_code(member), "amount": 100}).status_code
        == 201
    )
    response = pos({"transaction_id": "T-3", "card_code": card_code(member), "amount": 900})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert services.store.member(member.member_id).balance == 1


def test_points_used_are_redeemed_and_not_earned_on(pos, member, services, card_code):
    pos({"transaction_id": "T-4", "card_code": card_code(member), "amount": 10000})
    response = pos(
        {
            "transaction_id": "T-5",
            "card_code": card_code(member),
            "amount": 1000,
            "points_used": 100,
        }
    )
    assert response.status_code == 201
    assert response.json["points_used"] == 100
    assert response.json["points_earned"] == 9  # 900 JPY paid in money
    assert response.json["balance"] == 100 - 100 + 9


def test_overspending_points_is_409_and_changes_nothing(pos, member, services, card_code):
    pos({"transaction_id": "T-6", "card_code": card_code(member), "amount": 1000})
    response = pos(
        {"transaction_id": "T-7", "card_code": card_code(member), "amount": 1000, "points_used": 11}
    )
    assert response.status_code == 409
    assert response.json["balance"] == 10
    assert services.store.member(member.member_id).balance == 10


@pytest.mark.parametrize("key", ["", "sk_wrong", "Basic abc"])
def test_bad_key_is_401(client, store_key, member, key, card_code):
    response = client.post(
        "/api/v1/transactions",
        json={"transaction_id": "T", "card_code": card_code(member), "amount": 1},
        headers={"Authorization": key}
        if key.startswith("Basic")
        else {"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_rotated_key_revokes_the_old_one(pos, member, services, store_key, card_code):
    new_key = services.store.rotate_key("S001")
    body = {"transaction_id": "T-8", "card_code": card_code(member), "amount": 100}
    assert pos(body, key=store_key).status_code == 401
    assert pos(body, key=new_key).status_code == 201


def test_unknown_card_is_404(pos, member):
    from bot.domain.cards import new_member_number

    for code in (
        new_member_number(),
        "123",
        member.number[:-1] + str((int(member.number[-1]) + 1) % 10),
    ):
        response = pos({"transaction_id": f"T-{code}", "card_code": code, "amount": 100})
        assert response.status_code == 404, code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"card_code": "2900000000000", "amount": 1}, "transaction_id"),
        ({"transaction_id": "T", "amount": 1}, "card_code"),
        ({"transaction_id": "T", "card_code": "2900000000000"}, "amount"),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": -1}, "amount"),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": "100"}, "amount"),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": True}, "amount"),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": 1.5}, "amount"),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": 10**12}, "amount"),
        ({"transaction_id": "T", "card_code": "29000000000x0", "amount": 1}, "card_code"),
        ({"transaction_id": "", "card_code": "2900000000000", "amount": 1}, "transaction_id"),
        ({"transaction_id": "x" * 65, "card_code": "2900000000000", "amount": 1}, "transaction_id"),
        (
            {"transaction_id": "T", "card_code": "2900000000000", "amount": 5, "points_used": 6},
            "points_used",
        ),
        ({"transaction_id": "T", "card_code": "2900000000000", "amount": 5, "items": "x"}, "items"),
        (
            {
                "transaction_id": "T",
                "card_code": "2900000000000",
                "amount": 5,
                "items": [{"name": "milk", "quantity": 0, "unit_price": 100}],
            },
            "items/0/quantity",
        ),
        (
            {
                "transaction_id": "T",
                "card_code": "2900000000000",
                "amount": 5,
                "occurred_at": "2026-11-22 10:00",
            },
            "occurred_at",
        ),
        (
            {"transaction_id": "T", "card_code": "2900000000000", "amount": 5, "ammount": 5},
            "ammount",
        ),
        (
            {
                "transaction_id": "T",
                "card_code": "2900000000000",
                "amount": 5,
                "occurred_at": "0001-01-01T00:00:00+09:00",
            },
            "occurred_at",
        ),
        (
            {
                "transaction_id": "T",
                "card_code": "2900000000000",
                "amount": 5,
                "occurred_at": "9999-12-31T23:59:59+00:00",
            },
            "occurred_at",
        ),
        (["not", "an", "object"], ""),
    ],
)
def test_invalid_body_is_422_naming_the_field(pos, body, field):
    response = pos(body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]


def test_a_key_given_twice_is_422_and_grants_nothing(
    client, store_key, member, card_code, services
):
    raw = (
        f'{{"transaction_id": "T-dup", "card_code": "{card_code(member)}", '
        '"amount": 100, "amount": 10000000}'
    )
    response = client.post(
        "/api/v1/transactions",
        data=raw,
        headers={"Authorization": f"Bearer {store_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "twice" in response.json["detail"]
    assert services.store.member(member.member_id).balance == 0
    assert services.store.transaction_binding("S001", "T-dup") is None


def test_a_sale_uploaded_late_is_still_recorded(pos, member, card_code, services):
    when = datetime.fromtimestamp(services.clock() - 30 * 86400, UTC).isoformat()
    body = {"transaction_id": "T-late", "card_code": card_code(member), "amount": 1280,
            "occurred_at": when}  # fmt: skip
    assert pos(body).status_code == 201


def test_non_json_body_is_422(client, store_key):
    response = client.post(
        "/api/v1/transactions",
        data=b"\x00\x01garbage",
        headers={"Authorization": f"Bearer {store_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_oversized_body_is_413(client, store_key):
    response = client.post(
        "/api/v1/transactions",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {store_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_concurrent_copies_of_one_transaction_grant_once(
    app, store_key, member, services, card_code
):
    body = {"transaction_id": "T-race", "card_code": card_code(member), "amount": 10000}
    statuses: list[int] = []

    def send() -> None:
        client = app.test_client()
        r = client.post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {store_key}"}
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=send) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 16
    assert services.store.member(member.member_id).balance == 100


def test_unfollowed_member_still_earns_but_gets_no_push(
    pos, member, post_webhook, run_jobs, fake_line, services, card_code
):
    post_webhook(events.unfollow(member.line_user_id))
    run_jobs()
    response = pos({"transaction_id": "T-9", "card_code": card_code(member), "amount": 300})
    assert response.status_code == 201
    run_jobs()
    assert fake_line.recorded("/v2/bot/message/push") == []


def test_receipt_push_survives_line_5xx_with_the_same_retry_key(
    pos, member, run_jobs, fake_line, card_code
):
    # LINE processed the push but the answer was lost: the retry must not deliver twice.
    fake_line.fail_next("/v2/bot/message/push", 500, accept_first=True)
    pos({"transaction_id": "T-10", "card_code": card_code(member), "amount": 300})
    run_jobs()
    pushes = fake_line.recorded("/v2/bot/message/push")
    assert [p.status for p in pushes] == [500, 409]
    assert pushes[0].headers["x-line-retry-key"] == pushes[1].headers["x-line-retry-key"]
    assert list(fake_line.deliveries_by_retry_key().values()) == [1]
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_refund_reverses_earned_and_restores_used_once(
    client, pos, member, store_key, services, card_code
):
    pos({"transaction_id": "T-a", "card_code": card_code(member), "amount": 10000})  # 100 pt
    pos(
        {"transaction_id": "T-b", "card_code": card_code(member), "amount": 2000, "points_used": 50}
    )
    headers = {"Authorization": f"Bearer {store_key}"}
    first = client.post("/api/v1/transactions/T-b/refund", headers=headers)
    assert first.status_code == 201
    assert first.json == {
        "member_number": member.number,
        "points_reversed": 19,
        "points_restored": 50,
        "shortfall": 0,
        "balance": 100,
        "rank": "regular",
    }
    again = client.post("/api/v1/transactions/T-b/refund", headers=headers)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert services.store.member(member.member_id).balance == 100


@pytest.mark.parametrize("txn", ["T-none", "..", "x" * 65, "%00"])
def test_refund_of_unknown_transaction_is_404(client, store_key, member, txn):
    response = client.post(
        f"/api/v1/transactions/{txn}/refund", headers={"Authorization": f"Bearer {store_key}"}
    )
    assert response.status_code == 404


def test_refund_needs_the_same_store(client, pos, member, services, card_code):
    pos({"transaction_id": "T-c", "card_code": card_code(member), "amount": 1000})
    other = services.store.add_store("S002", "Other")
    response = client.post(
        "/api/v1/transactions/T-c/refund", headers={"Authorization": f"Bearer {other}"}
    )
    assert response.status_code == 404
    assert client.post("/api/v1/transactions/T-c/refund").status_code == 401


def test_lookup_shows_what_the_till_needs(client, pos, member, store_key, card_code):
    pos({"transaction_id": "T-l", "card_code": card_code(member), "amount": 4200})
    response = client.post(
        "/api/v1/members/lookup",
        json={"card_code": card_code(member)},
        headers={"Authorization": f"Bearer {store_key}"},
    )
    assert response.status_code == 200
    assert response.json == {
        "member_number": member.number,
        "rank": "regular",
        "balance": 42,
        "points_usable": 42,
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [({"card_code": "2900000000001"}, 404), ({"card_code": "x"}, 422), ({}, 422), ([], 422)],
)
def test_lookup_errors(client, store_key, member, body, status):
    response = client.post(
        "/api/v1/members/lookup", json=body, headers={"Authorization": f"Bearer {store_key}"}
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_each_key_is_rate_limited(client, store_key, member, services, card_code, monkeypatch):
    monkeypatch.setattr("bot.store.rate_limit._window", lambda: 1)  # one minute, whatever the clock
    services.settings = dataclasses.replace(services.settings, pos_rate_limit=3)
    headers = {"Authorization": f"Bearer {store_key}"}
    statuses = [
        client.post(
            "/api/v1/members/lookup", json={"card_code": card_code(member)}, headers=headers
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    other = services.store.add_store("S002", "Other")
    response = client.post(
        "/api/v1/members/lookup",
        json={"card_code": card_code(member)},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert response.status_code == 200


def test_absurdly_nested_json_is_422_not_500(client, store_key):
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {"Authorization": f"Bearer {store_key}", "Content-Type": "application/json"}
    for path in ("/api/v1/transactions", "/api/v1/members/lookup"):
        assert client.post(path, data=body, headers=headers).status_code == 422


def test_a_key_guessing_card_codes_is_stopped(client, store_key, member, card_code, monkeypatch):
    monkeypatch.setattr("bot.web.pos_api.CARD_FAILURE_LIMIT", 3)
    monkeypatch.setattr("bot.store.rate_limit._window", lambda: 1)  # one minute, whatever the clock
    headers = {"Authorization": f"Bearer {store_key}"}
    guesses = [
        client.post(
            "/api/v1/members/lookup", json={"card_code": f"{n:016d}"}, headers=headers
        ).status_code
        for n in range(4)
    ]
    assert guesses == [404, 404, 404, 429]
    real = client.post(
        "/api/v1/members/lookup", json={"card_code": card_code(member)}, headers=headers
    )
    assert real.status_code == 429  # even a real card waits for the minute to pass
