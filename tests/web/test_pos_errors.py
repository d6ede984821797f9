"""How HTTP errors read: which 401, which fields a 422 names, UTF-8 bodies, Allow on a 405
and Retry-After on every 503."""

from __future__ import annotations

import pytest
from flask import jsonify

from bot import create_app
from bot.web.problems import RETRY_AFTER_UNAVAILABLE
from tests.conftest import CHANNEL_SECRET, make_settings
from tests.support import events

CODE = "2900000000000"


def _post(client, path: str, key: str | None, **kwargs):
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.post(path, headers=headers, **kwargs)


SALE = {"transaction_id": "T-1", "card_code": CODE, "amount": 100}
PATHS = ["/api/v1/transactions", "/api/v1/transactions/T-1/refund", "/api/v1/members/lookup"]


@pytest.mark.parametrize("path", PATHS)
def test_no_key_says_how_to_send_one(client, store_key, path):
    for headers in ({}, {"Authorization": f"Basic {store_key}"}, {"Authorization": "Bearer "}):
        response = client.post(path, json=SALE, headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["title"] == "API key missing"
        assert "Authorization: Bearer <key>" in response.json["detail"]
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="pos"'


@pytest.mark.parametrize("path", PATHS)
def test_a_wrong_or_revoked_key_is_said_to_be_not_valid(client, services, store_key, path):
    new_key = services.store.rotate_key("S001")
    for key in ("sk_never-issued", store_key):  # made up; revoked by rotate-key
        response = _post(client, path, key, json=SALE)
        assert response.status_code == 401
        assert response.json["title"] == "API key not valid"
        assert "not valid" in response.json["detail"]
        assert "rotate-key" in response.json["detail"]
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert _post(client, path, new_key, json=SALE).status_code != 401


def test_a_key_revoked_while_a_process_remembers_it_is_not_valid(
    client, services, store_key, member, card_code
):
    # The first sale makes this process remember the key's store (the sale's fast path).
    body = {"transaction_id": "T-1", "card_code": card_code(member), "amount": 100}
    assert _post(client, "/api/v1/transactions", store_key, json=body).status_code == 201
    services.store.rotate_key("S001")
    body = {"transaction_id": "T-2", "card_code": card_code(member), "amount": 100}
    response = _post(client, "/api/v1/transactions", store_key, json=body)
    assert response.status_code == 401
    assert response.json["title"] == "API key not valid"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        # A bad amount is the field to fix; points_used is fine and must not be named.
        ({**SALE, "amount": -1}, ["amount"]),
        ({**SALE, "amount": -1, "points_used": 0}, ["amount"]),
        ({**SALE, "amount": "100", "points_used": 50}, ["amount"]),
        ({**SALE, "amount": 10**12, "points_used": 5}, ["amount"]),
        ({**SALE, "amount": 5, "points_used": 6}, ["points_used"]),
        ({**SALE, "amount": 0}, ["amount"]),
        ({**SALE, "amount": 0, "points_used": 0}, ["amount"]),
        ({**SALE, "points_used": 10**12}, ["points_used"]),
        ({**SALE, "amount": -1, "points_used": 10**12}, ["amount", "points_used"]),
        ({"card_code": CODE, "amount": 1}, ["transaction_id"]),
        ({**SALE, "ammount": 5}, ["ammount"]),
        (
            {**SALE, "items": [{"name": "milk", "quantity": 1, "unit_price": 100, "price": 3}]},
            ["items/0/price"],
        ),
        (
            {**SALE, "items": [{"name": "milk", "quantity": 1, "unit_price": 100}, "tea"]},
            ["items/1"],
        ),
        (
            {**SALE, "items": [{"name": "", "quantity": 1, "unit_price": 100}]},
            ["items/0/name"],
        ),
        ([1, 2], [""]),
    ],
)
def test_a_422_names_only_the_fields_that_are_wrong(client, store_key, body, fields):
    response = _post(client, "/api/v1/transactions", store_key, json=body)
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json["errors"]) == fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"card_code": "x"}, ["card_code"]),
        ({}, ["card_code"]),
        ({"card_code": 123}, ["card_code"]),
        ([], [""]),
        ("2900000000000", [""]),
    ],
)
def test_a_lookup_422_names_only_the_fields_that_are_wrong(client, store_key, body, fields):
    response = _post(client, "/api/v1/members/lookup", store_key, json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == fields


def test_a_sale_of_zero_yen_is_refused_and_says_why(client, store_key, member, card_code, services):
    body = {"transaction_id": "Z-1", "card_code": card_code(member), "amount": 0}
    response = _post(client, "/api/v1/transactions", store_key, json=body)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["field"] == "amount"
    assert "¥0 is refused" in error["message"]
    assert services.ledger.history(member.member_id) == []
    # Paid wholly with points is a sale: its amount is what the points paid.
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="seed",
                           amount=100, reason="seed")  # fmt: skip
    paid = {"transaction_id": "Z-2", "card_code": card_code(member), "amount": 100,
            "points_used": 100}  # fmt: skip
    assert _post(client, "/api/v1/transactions", store_key, json=paid).status_code == 201


def test_a_lookup_ignores_fields_it_does_not_need(client, store_key, member, card_code):
    body = {"card_code": card_code(member), "amount": 100}
    assert _post(client, "/api/v1/members/lookup", store_key, json=body).status_code == 200


def test_a_key_given_twice_is_named(client, store_key):
    raw = '{"transaction_id": "T", "card_code": "1", "amount": 1, "金額": 1, "金額": 2}'
    response = client.post(
        "/api/v1/transactions",
        data=raw,
        headers={"Authorization": f"Bearer {store_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "'金額'" in response.json["detail"]
    assert "'金額'".encode() in response.data


def test_japanese_in_a_problem_is_written_as_utf8(client, store_key, member, card_code):
    code = card_code(member)
    body = {"transaction_id": "T-j", "card_code": code, "amount": 100}
    assert _post(client, "/api/v1/transactions", store_key, json=body).status_code == 201
    response = _post(client, "/api/v1/members/lookup", store_key, json={"card_code": code})
    assert response.status_code == 410
    assert "会員証を更新".encode() in response.data
    assert b"\\u" not in response.data


def test_japanese_in_a_normal_answer_is_written_as_utf8(app):
    # What jsonify writes for every JSON answer (no answer of the API carries Japanese yet).
    with app.test_request_context():
        response = jsonify(name="渋谷店")
    assert "渋谷店".encode() in response.data
    assert b"\\u" not in response.data


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/api/v1/transactions", {"POST"}),
        ("put", "/api/v1/members/lookup", {"POST"}),
        ("get", "/api/v1/transactions/T-1/refund", {"POST"}),
        ("post", "/api/v1/openapi.json", {"GET", "HEAD"}),
        ("get", "/callback", {"POST"}),
        ("post", "/healthz", {"GET", "HEAD"}),
    ],
)
def test_a_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    if path.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 405


@pytest.fixture
def app_without_redis(tmp_path, fake_line):
    settings = make_settings(f"unix://{tmp_path}/nothing-here.sock", fake_line.url)
    application = create_app({"TESTING": True, "SETTINGS": settings})
    yield application
    application.extensions["loyalty"].line.close()


def _retry_after(response) -> int:
    assert response.status_code == 503
    return int(response.headers["Retry-After"])


def test_every_503_without_redis_says_when_to_retry(app_without_redis):
    client = app_without_redis.test_client()
    assert _retry_after(client.get("/healthz")) == RETRY_AFTER_UNAVAILABLE
    raw = events.body(events.follow(events.user_id()))
    webhook = client.post(
        "/callback", data=raw, headers={"X-Line-Signature": events.sign(raw, CHANNEL_SECRET)}
    )
    assert _retry_after(webhook) == RETRY_AFTER_UNAVAILABLE
    for path in PATHS:
        response = _post(client, path, "sk_x", json=SALE)
        assert _retry_after(response) == RETRY_AFTER_UNAVAILABLE
        assert response.mimetype == "application/problem+json"


def test_a_sale_no_replica_confirmed_says_when_to_retry(redis_server, fake_line, redis_client):
    # The suite's Redis has no replica: waiting for one times out, as a lagging replica would.
    settings = make_settings(redis_server.url, fake_line.url, REDIS_WAIT_REPLICAS="1/20")
    application = create_app({"TESTING": True, "SETTINGS": settings})
    svc = application.extensions["loyalty"]
    try:
        key = svc.store.add_store("S001", "Shibuya")
        member, _ = svc.store.register_member(events.user_id(), "Hanako", "ja")
        code = svc.card_codes.current(member, svc.clock()).value
        body = {"transaction_id": "T-r", "card_code": code, "amount": 100}
        response = _post(application.test_client(), "/api/v1/transactions", key, json=body)
        assert _retry_after(response) == RETRY_AFTER_UNAVAILABLE
        assert "retry" in response.json["detail"]
    finally:
        svc.line.close()


def test_a_stalled_queue_on_healthz_says_when_to_retry(client, services):
    from datetime import UTC, datetime, timedelta

    from bot.jobs.queue import queue
    from bot.web.health import STALLED_AFTER

    job = queue(services).enqueue("bot.jobs.push.deliver", "receipt", "m", {}, "k")
    job.enqueued_at = datetime.now(UTC) - timedelta(seconds=STALLED_AFTER + 5)
    job.save()
    assert _retry_after(client.get("/healthz")) == RETRY_AFTER_UNAVAILABLE


def test_answers_other_than_503_carry_no_retry_after(client):
    assert "Retry-After" not in client.get("/healthz").headers
    assert "Retry-After" not in client.get("/api/v1/nope").headers
