"""POS operations: resolve the card, claim the id, apply once through the ledger, queue receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.errors import (
    DomainError,
    InsufficientPointsError,
    TransactionConflictError,
    UnknownCardError,
    UnknownTransactionError,
    UsedCardCodeError,
)
from bot.domain.purchase import Purchase
from bot.domain.records import Outcome, Store
from bot.jobs.queue import enqueue_receipt, receipt_retry_key
from bot.services import Services
from bot.store import keys


@dataclass(frozen=True)
class PurchaseResult:
    """What the till is told; ``replayed`` when this repeats an earlier request."""

    member_number: str
    points_earned: int
    points_used: int
    balance: int
    rank: str
    replayed: bool


@dataclass(frozen=True)
class RefundResult:
    """What a refund did for the till."""

    member_number: str
    points_reversed: int
    points_restored: int
    shortfall: int
    balance: int
    rank: str
    replayed: bool


def record_purchase(services: Services, store: Store, purchase: Purchase) -> PurchaseResult:
    """Apply a purchase exactly once per (store, transaction id) and queue its receipt.

    A new transaction needs a current card code and claims it: a rotating code serves one
    transaction. A retry of a transaction already bound to the same body skips the card check:
    its code was checked the first time and may have expired since.
    """
    fingerprint = purchase.fingerprint()
    binding = services.store.transaction_binding(store.store_id, purchase.transaction_id)
    if binding is not None:
        if binding[1] != fingerprint:
            raise TransactionConflictError(purchase.transaction_id)
        return _apply_purchase(services, store, purchase, binding[0], fingerprint)
    scan = services.card_codes.resolve(purchase.card_code, services.clock())
    # The body's fingerprint too: a concurrent request with the same id and another body
    # (a 409) must not give back the code of the request that won.
    claim = f"{store.store_id} {purchase.transaction_id} {fingerprint}"
    services.card_codes.claim(scan, claim)
    try:
        return _apply_purchase(services, store, purchase, scan.member_id, fingerprint)
    except DomainError:
        # Not applied (id conflict, too few points): the shopper may use the same code again.
        services.card_codes.release(scan, claim)
        raise


def _apply_purchase(
    services: Services, store: Store, purchase: Purchase, member_id: str, fingerprint: str
) -> PurchaseResult:
    """Bind the transaction id to this member and body, apply it once, queue the receipt."""
    bound = services.store.claim_transaction(
        store.store_id, purchase.transaction_id, member_id, fingerprint
    )
    if bound is None:
        raise TransactionConflictError(purchase.transaction_id)
    op_key = keys.purchase_op(store.store_id, purchase.transaction_id)
    outcome = services.ledger.purchase(
        member_id=bound,
        now=services.clock(),
        op_key=op_key,
        fingerprint=fingerprint,
        amount=purchase.amount,
        points_used=purchase.points_used,
        store_id=store.store_id,
        transaction_id=purchase.transaction_id,
    )
    if outcome.status is Outcome.CONFLICT:
        raise TransactionConflictError(purchase.transaction_id)
    if outcome.status in (Outcome.INSUFFICIENT, Outcome.NO_MEMBER):
        # Refused, nothing applied: unbind the id, or a later retry of this body would skip
        # the card check and could redeem once the balance had grown.
        services.store.release_transaction(
            store.store_id, purchase.transaction_id, bound, fingerprint
        )
        if outcome.status is Outcome.INSUFFICIENT:
            raise InsufficientPointsError(outcome.balance, outcome.points_used)
        raise UnknownCardError(purchase.card_code)
    member = services.store.member(bound)
    assert member is not None
    if not services.store.receipt_queued(bound, op_key):
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
        services.store.mark_receipt_queued(bound, op_key)
    return PurchaseResult(
        member_number=member.number,
        points_earned=outcome.points_earned,
        points_used=outcome.points_used,
        balance=outcome.balance,
        rank=services.settings.program.ranks.for_spend(outcome.spend).key,
        replayed=outcome.status is Outcome.REPLAYED,
    )


def refund_purchase(services: Services, store: Store, transaction_id: str) -> RefundResult:
    """Reverse a store's purchase once: take back what it earned, restore what it used."""
    member_id = services.store.transaction_member(store.store_id, transaction_id)
    if member_id is None:
        raise UnknownTransactionError(transaction_id)
    outcome = services.ledger.refund(
        member_id=member_id,
        now=services.clock(),
        op_key=keys.refund_op(store.store_id, transaction_id),
        purchase_key=keys.purchase_op(store.store_id, transaction_id),
        store_id=store.store_id,
        ref=transaction_id,
    )
    member = services.store.member(member_id)
    if outcome.status in (Outcome.NOT_FOUND, Outcome.NO_MEMBER) or member is None:
        # Claimed but never applied (the purchase failed), or the member was deleted.
        raise UnknownTransactionError(transaction_id)
    return RefundResult(
        member_number=member.number,
        points_reversed=outcome.reversed,
        points_restored=outcome.restored,
        shortfall=outcome.shortfall,
        balance=outcome.balance,
        rank=services.settings.program.ranks.for_spend(outcome.spend).key,
        replayed=outcome.status is Outcome.REPLAYED,
    )


@dataclass(frozen=True)
class CardLookup:
    """A member as the till sees them before a sale."""

    member_number: str
    rank: str
    balance: int


def look_up_card(services: Services, card_code: str) -> CardLookup:
    """The member behind a scanned code, with the balance after expiring due points."""
    member_id = resolve_card(services, card_code)
    standing = services.ledger.maintain(member_id, services.clock())
    member = services.store.member(member_id)
    if standing is None or member is None:
        raise UnknownCardError(card_code)
    rank = services.settings.program.ranks.for_spend(standing.spend).key
    return CardLookup(member.number, rank, standing.balance)


def resolve_card(services: Services, card_code: str) -> str:
    """The member id a scanned card code belongs to, without using the code up. A code a
    transaction already took is refused here too, so the till asks for a fresh one at once."""
    scan = services.card_codes.resolve(card_code, services.clock())
    if services.card_codes.used(scan):
        raise UsedCardCodeError(card_code)
    return scan.member_id
