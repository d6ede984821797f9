"""The POS API under ``/api/v1``: store-authenticated purchases, refunds and look-ups."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime

import redis
from flask import Blueprint, Response, g, jsonify, request
from redis.exceptions import ClusterDownError, SlotNotCoveredError, TryAgainError

from bot.domain.errors import (
    ExpiredCardCodeError,
    ExpiredTicketError,
    ExpiredTransactionError,
    InsufficientPointsError,
    MemberNumberNotAcceptedError,
    TransactionConflictError,
    UnknownCardError,
    UnknownTicketError,
    UnknownTransactionError,
    UsedCardCodeError,
    UsedTicketError,
)
from bot.domain.purchase import TRANSACTION_ID, FieldError, parse_lookup, parse_purchase
from bot.operations import rewards
from bot.operations.purchases import (
    PurchaseResult,
    RefundResult,
    look_up_card,
    record_purchase,
    refund_purchase,
)
from bot.services import services
from bot.store.rate_limit import KeyCheck, KeyUse, count_card_failure, hash_key, use_key
from bot.web.problems import problem

log = logging.getLogger(__name__)
bp = Blueprint("pos_api", __name__, url_prefix="/api/v1")

#: Unknown, forged or stale card codes one key may send per minute before it must wait.
CARD_FAILURE_LIMIT = 30


class _Refused(Exception):
    """A request the key check turned away, with the answer to give."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _bearer() -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def _admit(use: KeyUse, store_id: str | None = None) -> None:
    """Let a request in, or raise ``_Refused``: an unknown key (or not ``store_id``'s any more)
    is 401, a key over its limits 429."""
    if use.store_id is None or (store_id is not None and use.store_id != store_id):
        services().store.forget_key(use.key_hash)
        raise _Refused(_unauthorized(sent=bool(use.key_hash)))
    limit = services().settings.pos_rate_limit
    if use.requests > limit:
        raise _Refused(_too_many(f"This key may make {limit} requests a minute; retry shortly."))
    if use.card_failures >= CARD_FAILURE_LIMIT:
        # Guessing rotating codes takes many tries; a till that really scans fails rarely.
        raise _Refused(
            _too_many(
                f"This key sent {CARD_FAILURE_LIMIT} unknown or expired card codes in the last "
                "minute; wait a minute. If a scanner misreads, check it.",
                title="Too many unknown cards",
            )
        )


def _unauthorized(sent: bool) -> Response:
    """401: no key sent, or a key that is not (or no longer) any store's."""
    if not sent:
        response = problem(
            401,
            "API key missing",
            "Send the store's API key as 'Authorization: Bearer <key>'.",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="pos"'
        return response
    response = problem(
        401,
        "API key not valid",
        "This API key is not valid: it was never issued, or it was revoked when the store's "
        "key was replaced (store rotate-key). Use the store's current key.",
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="pos", error="invalid_token"'
    return response


def _authorize_now() -> None:
    """Check the request's key in a round trip of its own; sets ``g.store``."""
    svc = services()
    key = _bearer()
    # No key sent: no store and an empty hash (``_admit`` tells the two 401s apart by it).
    use = use_key(svc.store.redis, key) if key else KeyUse(None, "", 0, 0)
    _admit(use)
    assert use.store_id is not None
    svc.store.remember_key(use.key_hash, use.store_id)
    g.store, g.key_hash = svc.store.store(use.store_id), use.key_hash


@bp.before_request
def _authorize() -> Response | None:
    """Every POS call needs a store key, within that key's rate limit. A sale checks it inside
    its own round trips (see ``create_transaction``)."""
    if request.endpoint == "pos_api.create_transaction":
        return None
    try:
        _authorize_now()
    except _Refused as refused:
        return refused.response
    return None


@bp.errorhandler(_Refused)
def _refused(refused: _Refused) -> Response:
    return refused.response


def _too_many(detail: str, title: str = "Too many requests") -> Response:
    response = problem(429, title, detail)
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(redis.ConnectionError)
@bp.errorhandler(redis.TimeoutError)
@bp.errorhandler(ClusterDownError)
@bp.errorhandler(TryAgainError)
@bp.errorhandler(SlotNotCoveredError)
def _redis_down(exc: Exception) -> Response:
    # Fail closed on money: never guess a balance or a grant.
    log.error("POS request failed: Redis unavailable (%s)", type(exc).__name__)
    return problem(503, "Service unavailable", "Points are temporarily unavailable; retry.")


@bp.errorhandler(redis.ResponseError)
def _redis_refused(exc: redis.ResponseError) -> Response:
    # A script error is a bug, not an outage: retrying would fail the same way.
    log.error("POS request failed inside Redis: %s", exc, exc_info=exc)
    return problem(
        500, "Internal error", "The points service failed on this request; contact support."
    )


#: Card problems: (status, title, what the cashier should do).
_CARD_PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    UnknownCardError: (404, "Unknown card", "No member has this card code; scan the card again."),
    MemberNumberNotAcceptedError: (
        404,
        "Member number not accepted",
        "This store's cards show a code that changes every few minutes; the member number "
        "alone is not accepted. Ask the shopper to open the card in LINE and scan its barcode "
        "or QR code (or type the 16 digits under the barcode).",
    ),
    ExpiredCardCodeError: (
        410,
        "Card code expired",
        "This card code is no longer valid. Ask the shopper to tap 'Refresh card' (会員証を更新) "
        "in LINE and scan the new code.",
    ),
    UsedCardCodeError: (
        410,
        "Card code already used",
        "This card code was already used for another transaction. Ask the shopper to tap "
        "'Refresh card' (会員証を更新) in LINE and scan the new code.",
    ),
}


def _card_problem(exc: Exception) -> Response:
    count_card_failure(services().store.redis, g.key_hash, g.get("key_check"))
    status, title, detail = _CARD_PROBLEMS[type(exc)]
    return problem(status, title, detail)


for _error in _CARD_PROBLEMS:
    bp.register_error_handler(_error, _card_problem)


class _DuplicateKeyError(ValueError):
    """A JSON object names one key twice: which value was meant is anybody's guess."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return found


def _json_body() -> tuple[object | None, Response | None]:
    """The body as JSON, or the 422 to answer: not JSON, absurdly nested, or a key twice
    (``{"amount": 100, "amount": 10000000}`` must not grant on either)."""
    if not request.is_json:
        return None, _not_json()
    try:
        return json.loads(request.get_data(), object_pairs_hook=_unique_keys), None
    except _DuplicateKeyError as exc:
        return None, problem(
            422,
            "Invalid body",
            f"A JSON object in the body names the same key twice ({exc.key[:64]!r}); send it once.",
        )
    except (ValueError, RecursionError):
        return None, _not_json()


def _not_json() -> Response:
    return problem(422, "Invalid body", "The body must be JSON (Content-Type: application/json).")


def _invalid_fields(errors: list[FieldError]) -> Response:
    """The 422 naming each field that is wrong (and only those)."""
    return problem(
        422,
        "Invalid body",
        "Fix the fields listed in 'errors' and send the request again.",
        errors=[{"field": e.field, "message": e.message} for e in errors],
    )


def _recorded(result: PurchaseResult | RefundResult) -> tuple[Response, int]:
    """201 with the result's fields; a replay of an earlier request says so in a header."""
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    replayed = fields.pop("replayed")
    response = jsonify(fields)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.post("/transactions")
def create_transaction() -> Response | tuple[Response, int]:
    """Record a purchase: earn points and use points in one atomic, idempotent step."""
    svc = services()
    key = _bearer()
    store_id = svc.store.store_for_key_hash(hash_key(key)) if key else None
    payload, error = _json_body()
    now = datetime.fromtimestamp(svc.clock(), UTC)
    purchase, errors = parse_purchase(payload, now) if error is None else (None, [])
    if store_id is None or purchase is None:
        _authorize_now()  # 401 and 429 come before 422
    if error is not None:
        return error
    if purchase is None:
        return _invalid_fields(errors)
    check = None
    if store_id is not None and "store" not in g:
        # The key's store is known here: check the key inside the sale's own round trips.
        check = KeyCheck(key)
        g.store, g.key_hash, g.key_check = svc.store.store(store_id), check.key_hash, check
    try:
        result = record_purchase(
            svc, g.store, purchase, check, lambda use: _admit(use, g.store.store_id)
        )
    except TransactionConflictError:
        return problem(
            409,
            "Transaction id already used",
            "This transaction_id was already recorded with a different body; "
            "use a new transaction_id for a new purchase.",
        )
    except ExpiredTransactionError:
        return problem(
            409,
            "Transaction too old to replay",
            "This transaction_id was recorded more than 90 days ago and its answer is no longer "
            "kept; nothing was changed. Use a new transaction_id for a new purchase.",
        )
    except InsufficientPointsError as exc:
        return problem(
            409,
            "Not enough points",
            f"The member has {exc.balance} points; points_used must not exceed that.",
            balance=exc.balance,
        )
    return _recorded(result)


@bp.post("/transactions/<transaction_id>/refund")
def refund_transaction(transaction_id: str) -> Response | tuple[Response, int]:
    """Refund a purchase: take back its points, give back the points it used; idempotent."""
    unknown = problem(
        404, "Unknown transaction", "No purchase of this store has this id in the last 90 days."
    )
    if not TRANSACTION_ID.match(transaction_id):
        return unknown
    try:
        result = refund_purchase(services(), g.store, transaction_id)
    except UnknownTransactionError:
        return unknown
    return _recorded(result)


@bp.post("/members/lookup")
def look_up_member() -> Response:
    """What the till shows before redeeming: member number, rank, points usable now."""
    payload, error = _json_body()
    if error is not None:
        return error
    code, errors = parse_lookup(payload)
    if code is None:
        return _invalid_fields(errors)
    found = look_up_card(services(), code)
    return jsonify(
        member_number=found.member_number,
        rank=found.rank,
        balance=found.balance,
        points_usable=found.balance,
    )


#: Ticket problems: (status, title, what the cashier should do).
_TICKET_PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    UnknownTicketError: (
        404,
        "Unknown ticket",
        "No ticket has this code; scan the ticket again (the 20 digits under its barcode).",
    ),
    UsedTicketError: (
        410,
        "Ticket already used",
        "This ticket was already used. Tell the shopper it cannot be used again.",
    ),
    ExpiredTicketError: (
        410,
        "Ticket expired",
        "This ticket is past its last day. Tell the shopper it can no longer be used.",
    ),
}


def _invalid(errors: list[dict[str, str]]) -> Response:
    return problem(
        422,
        "Invalid body",
        "Fix the fields listed in 'errors' and send the request again.",
        errors=errors,
    )


@bp.post("/tickets/redeem")
def redeem_ticket() -> Response | tuple[Response, int]:
    """Use a reward ticket once; the same transaction id and body replay the first answer."""
    payload, error = _json_body()
    if error is not None:
        return error
    if not isinstance(payload, dict):
        return _invalid([{"field": "body", "message": "must be a JSON object"}])
    txn, code = payload.get("transaction_id"), payload.get("ticket_code")
    errors = []
    if not isinstance(txn, str) or not TRANSACTION_ID.match(txn):
        errors.append(
            {
                "field": "transaction_id",
                "message": "required: 1-64 letters, digits, '.', '_', ':' or '-'",
            }
        )
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) > 64:
        errors.append({"field": "ticket_code", "message": "required: the digits the scanner read"})
    unknown = sorted(set(payload) - {"transaction_id", "ticket_code"})
    errors += [{"field": name, "message": "not a field of this request"} for name in unknown]
    if errors:
        return _invalid(errors)
    assert isinstance(txn, str)
    assert isinstance(code, str)
    try:
        result = rewards.redeem(services(), g.store, txn, code)
    except TransactionConflictError:
        return problem(
            409,
            "Transaction id already used",
            "This transaction_id was already used with another ticket; use a new "
            "transaction_id for a new ticket.",
        )
    except tuple(_TICKET_PROBLEMS) as exc:
        if isinstance(exc, UnknownTicketError):
            count_card_failure(services().store.redis, g.key_hash, None)
        status, title, detail = _TICKET_PROBLEMS[type(exc)]
        reward = getattr(exc, "reward", None)
        return problem(status, title, detail, **({"reward": reward} if reward else {}))
    response = jsonify(
        reward={"key": result.reward_key, "name": result.reward_name},
        member_number=result.member_number,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201
