"""Recording a POS purchase: resolve the card, claim the id, apply once, queue the receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.cards import is_valid_member_number
from bot.domain.errors import InsufficientPointsError, TransactionConflictError, UnknownCardError
from bot.domain.points import earned_points
from bot.domain.purchase import Purchase
from bot.jobs.queue import enqueue_receipt, receipt_retry_key
from bot.services import Services
from bot.store.redis_store import Store

#: Until rank tiers exist every member has this rank.
DEFAULT_RANK = "regular"


@dataclass(frozen=True)
class PurchaseResult:
    """What the till is told; ``replayed`` when this repeats an earlier request."""

    member_number: str
    points_earned: int
    points_used: int
    balance: int
    rank: str
    replayed: bool


def record_purchase(services: Services, store: Store, purchase: Purchase) -> PurchaseResult:
    """Apply a purchase exactly once per (store, transaction id) and queue its receipt."""
    member_id = _resolve_card(services, purchase.card_code)
    fingerprint = purchase.fingerprint()
    bound = services.store.claim_transaction(
        store.store_id, purchase.transaction_id, member_id, fingerprint
    )
    if bound is None:
        raise TransactionConflictError(purchase.transaction_id)
    outcome = services.store.apply_transaction(
        member_id=bound,
        store_id=store.store_id,
        transaction_id=purchase.transaction_id,
        fingerprint=fingerprint,
        amount=purchase.amount,
        points_earned=earned_points(
            services.settings.program.earn, purchase.amount, purchase.points_used
        ),
        points_used=purchase.points_used,
    )
    if outcome.status == "conflict":
        raise TransactionConflictError(purchase.transaction_id)
    if outcome.status == "insufficient":
        raise InsufficientPointsError(outcome.balance, outcome.points_used)
    if outcome.status == "no_member":
        raise UnknownCardError(purchase.card_code)
    member = services.store.member(bound)
    assert member is not None
    if not services.store.receipt_queued(bound, store.store_id, purchase.transaction_id):
        # Queue first, then mark: a crash in between re-queues on the POS's retry, and the
        # deterministic retry key makes LINE deliver the receipt once anyway.
        if member.active:
            occurred = purchase.occurred_at or datetime.now(UTC)
            receipt = {
                "store_name": store.name,
                "occurred_at": occurred.isoformat(),
                "amount": purchase.amount,
                "points_earned": outcome.points_earned,
                "points_used": outcome.points_used,
                "balance": outcome.balance,
            }
            key = receipt_retry_key(store.store_id, purchase.transaction_id)
            enqueue_receipt(services, bound, receipt, key)
        services.store.mark_receipt_queued(bound, store.store_id, purchase.transaction_id)
    return PurchaseResult(
        member_number=member.number,
        points_earned=outcome.points_earned,
        points_used=outcome.points_used,
        balance=outcome.balance,
        rank=DEFAULT_RANK,
        replayed=outcome.status == "replayed",
    )


def _resolve_card(services: Services, card_code: str) -> str:
    """The member id a scanned card code belongs to."""
    if is_valid_member_number(card_code):
        member_id = services.store.member_id_by_number(card_code)
        if member_id is not None:
            return member_id
    raise UnknownCardError(card_code)
