"""The POS API under ``/api/v1``: store-authenticated purchases."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response, jsonify, request

from bot.domain.errors import (
    InsufficientPointsError,
    TransactionConflictError,
    UnknownCardError,
    UnknownTransactionError,
)
from bot.domain.purchase import TRANSACTION_ID, parse_purchase
from bot.purchases import record_purchase, refund_purchase
from bot.services import services
from bot.store.redis_store import Store
from bot.web.problems import problem

log = logging.getLogger(__name__)
bp = Blueprint("pos_api", __name__, url_prefix="/api/v1")


def _authenticate() -> Store | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return services().store.store_for_api_key(key.strip())


@bp.errorhandler(redis.RedisError)
def _redis_down(exc: redis.RedisError) -> Response:
    # Fail closed on money: never guess a balance or a grant.
    log.error("POS request failed: Redis unavailable (%s)", type(exc).__name__)
    return problem(503, "Service unavailable", "Points are temporarily unavailable; retry.")


@bp.post("/transactions")
def create_transaction() -> Response | tuple[Response, int]:
    """Record a purchase: earn points and use points in one atomic, idempotent step."""
    store = _authenticate()
    if store is None:
        return problem(
            401, "Unauthorized", "Send the store's API key as 'Authorization: Bearer <key>'."
        )
    payload = request.get_json(silent=True)
    if payload is None:
        return problem(
            422, "Invalid body", "The body must be JSON (Content-Type: application/json)."
        )
    purchase, errors = parse_purchase(payload)
    if purchase is None:
        return problem(
            422,
            "Invalid body",
            "Fix the fields listed in 'errors' and send the request again.",
            errors=[{"field": e.field, "message": e.message} for e in errors],
        )
    try:
        result = record_purchase(services(), store, purchase)
    except UnknownCardError:
        return problem(404, "Unknown card", "No member has this card code; scan the card again.")
    except TransactionConflictError:
        return problem(
            409,
            "Transaction id already used",
            "This transaction_id was already recorded with a different body; "
            "use a new transaction_id for a new purchase.",
        )
    except InsufficientPointsError as exc:
        return problem(
            409,
            "Not enough points",
            f"The member has {exc.balance} points; points_used must not exceed that.",
            balance=exc.balance,
        )
    response = jsonify(
        member_number=result.member_number,
        points_earned=result.points_earned,
        points_used=result.points_used,
        balance=result.balance,
        rank=result.rank,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.post("/transactions/<transaction_id>/refund")
def refund_transaction(transaction_id: str) -> Response | tuple[Response, int]:
    """Refund a purchase: take back its points, give back the points it used; idempotent."""
    store = _authenticate()
    if store is None:
        return problem(
            401, "Unauthorized", "Send the store's API key as 'Authorization: Bearer <key>'."
        )
    if not TRANSACTION_ID.match(transaction_id):
        return problem(404, "Unknown transaction", "No purchase of this store has this id.")
    try:
        result = refund_purchase(services(), store, transaction_id)
    except UnknownTransactionError:
        return problem(
            404, "Unknown transaction", "No purchase of this store has this transaction_id."
        )
    response = jsonify(
        member_number=result.member_number,
        points_reversed=result.points_reversed,
        points_restored=result.points_restored,
        shortfall=result.shortfall,
        balance=result.balance,
        rank=result.rank,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201
