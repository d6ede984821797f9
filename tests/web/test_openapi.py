"""The served OpenAPI document matches the implementation (property-based, schemathesis)."""

from __future__ import annotations

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.operations import rewards
from bot.web.openapi import DOCUMENT
from tests.support import events

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(app):
    # schemathesis' own pytest plugin does not load under this pytest, so drive it here.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize(
    ("key", "examples"), [("store", 40), ("wrong", 10)], ids=["with-key", "wrong-key"]
)
def test_api_conforms_to_its_document(app, store_key, key, examples):
    operations = _operations(app)
    assert {op.path for op in operations} == set(DOCUMENT["paths"])
    authorization = f"Bearer {store_key if key == 'store' else 'sk_not-a-key'}"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers={"Authorization": authorization})
            case.validate_response(response, checks=CHECKS)
            if key != "store":
                assert response.status_code == 401

        check()


def _validate(name: str, body: dict) -> None:
    jsonschema.validate(
        body, {**DOCUMENT["components"]["schemas"][name], "components": DOCUMENT["components"]}
    )


def test_successful_answers_match_their_schemas(
    client, store_key, post_webhook, run_jobs, services, card_code
):
    user = events.user_id()
    post_webhook(events.follow(user))
    run_jobs()
    code = card_code(services.store.member_for_user(user))
    headers = {"Authorization": f"Bearer {store_key}"}
    body = {"transaction_id": "T1", "card_code": code, "amount": 1200, "points_used": 0}
    made = client.post("/api/v1/transactions", json=body, headers=headers)
    assert made.status_code == 201
    _validate("TransactionResult", made.json)
    _validate("TransactionRequest", body)
    refunded = client.post("/api/v1/transactions/T1/refund", headers=headers)
    _validate("RefundResult", refunded.json)
    member = services.store.member_for_user(user)
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="seed",
                           amount=100, reason="seed")  # fmt: skip
    ticket = rewards.exchange(services, member.member_id, "coffee", 50, "0a0a0a0a").ticket
    redeem = {"transaction_id": "U1", "ticket_code": ticket.code}
    used = client.post("/api/v1/tickets/redeem", json=redeem, headers=headers)
    assert used.status_code == 201
    _validate("RedeemRequest", redeem)
    _validate("RedeemResult", used.json)


def test_every_api_route_is_documented(app):
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/v1/openapi.json"
    }
    assert routes == set(DOCUMENT["paths"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/api/v1/nope", 404), ("get", "/api/v1/transactions", 405)],
)
def test_api_http_errors_are_problems(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
