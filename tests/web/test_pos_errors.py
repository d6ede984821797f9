"""How POS errors read: which 401, which fields a 422 names."""

from __future__ import annotations

import pytest

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
