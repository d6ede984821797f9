"""POS operations: resolve the card, claim the id, apply once through the ledger, queue receipts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import card_codes
from bot.domain.errors import (
    DomainError,
    ExpiredTransactionError,
    InsufficientPointsError,
    TransactionConflictError,
    UnknownCardError,
    UnknownTransactionError,
    UsedCardCodeError,
)
from bot.domain.purchase import Purchase
from bot.domain.records import Outcome, PushIntent, Store
from bot.domain.retry_keys import rank_up_retry_key, receipt_retry_key, refund_notice_retry_key
from bot.operations.rewards import after_spend
from bot.services import Services
from bot.store import keys
from bot.store.ledger import CodeClaim
from bot.store.rate_limit import KeyCheck, KeyUse, use_key


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


#: Called with what a sale's first round trip read about the request's API key; raises to
#: refuse the request (nothing has been written then).
Admit = Callable[[KeyUse], None]


def record_purchase(
    services: Services,
    store: Store,
    purchase: Purchase,
    key: KeyCheck | None = None,
    admit: Admit | None = None,
) -> PurchaseResult:
    """Apply a purchase exactly once per (store, transaction id); its receipt goes to the
    member's outbox in the same step (bot/jobs/outbox.py queues it).

    A transaction needs a current card code and claims it: a rotating code serves one
    transaction. A retry of a transaction already applied gets the first answer, even once its
    code has expired; a retry of one not applied yet needs the code to be good, like the first.

    With ``key`` (the request's API key check, not yet made) and ``admit``, the key is checked
    in the sale's own round trips: two on one Redis, a read (the key, binding, card index and
    the card code's credentials, in one script) and one ledger step, the only write (one fsync
    under ``appendfsync always``); on a cluster the credentials are a read of their own.
    Nothing is bound or indexed unless the step applies the sale.
    """
    fingerprint = purchase.fingerprint()
    codes, txn = services.card_codes, purchase.transaction_id
    try:
        index = codes.index_key(purchase.card_code)
    except DomainError:
        if key is not None and admit is not None:
            admit(use_key(services.store.redis, key))  # a bad key hears 401 first
        raise
    binding, member_id, use, known = services.store.sale_lookup(store.store_id, txn, index, key)
    if use is not None and admit is not None:
        admit(use)
    rotating = card_codes.looks_like_code(purchase.card_code)
    if binding is not None:
        if binding[1] != fingerprint and key is not None:
            services.store.count(key)  # a 409 counts against the key too
        target = _bound(binding, fingerprint, txn)
    elif member_id is None:
        raise UnknownCardError(purchase.card_code)
    else:
        target = member_id
    now = services.clock()
    refused: DomainError | None = None
    scan = None
    if not rotating and member_id != target:
        # A member number that names nobody now, or another member than the one the
        # transaction was bound to (the first was deleted): only an earlier answer stands.
        refused = UnknownCardError(purchase.card_code)
    else:
        credentials = None
        if rotating:  # read with the card index where it could be (one Redis, same member)
            credentials = known if target == member_id else None
            credentials = credentials or services.store.code_credentials(target)
        try:
            scan = codes.verify(purchase.card_code, target, credentials, now)
        except DomainError as exc:
            if binding is None:
                raise  # nothing was applied under this id: nothing to give back
            refused = exc  # a retry whose code has expired since may still get its answer
    claim = None
    if scan is not None and scan.code is not None:
        # The body's fingerprint too: a concurrent request with the same id and another body
        # (a 409) must not give back the code of the request that won.
        holder = f"{store.store_id} {txn} {fingerprint}"
        claim = CodeClaim(scan.code, holder, codes.claim_ttl)
    return _apply(services, store, purchase, fingerprint, target, claim, now, refused, key)


def _bound(binding: tuple[str, str], fingerprint: str, transaction_id: str) -> str:
    """The member a transaction id is bound to; a conflict if it was bound to another body."""
    if binding[1] != fingerprint:
        raise TransactionConflictError(transaction_id)
    return binding[0]


#: Item lines a receipt lists (the rest are counted); LINE's bubble holds 30 KB.
RECEIPT_ITEMS = 20


def _receipt(store: Store, purchase: Purchase) -> PushIntent:
    """The receipt push of a purchase; the ledger adds the points when it applies it. The
    push reads the sale's rank change from the ledger when it is sent (store id and
    transaction id), so the sale itself does no more work for it."""
    occurred = purchase.occurred_at or datetime.now(UTC)
    payload = {
        "store_name": store.name,
        "occurred_at": occurred.isoformat(),
        "amount": purchase.amount,
        "store_id": store.store_id,
        "transaction_id": purchase.transaction_id,
    }
    if purchase.items:
        shown = purchase.items[:RECEIPT_ITEMS]
        payload["items"] = [[i.name, i.quantity, i.unit_price] for i in shown]
        payload["more_items"] = len(purchase.items) - len(shown)
    key = receipt_retry_key(store.store_id, purchase.transaction_id)
    return PushIntent("receipt", key, payload, urgent=True)


def _apply(
    services: Services,
    store: Store,
    purchase: Purchase,
    fingerprint: str,
    member_id: str,
    code: CodeClaim | None,
    now: int,
    refused: DomainError | None,
    key: KeyCheck | None,
) -> PurchaseResult:
    """Apply the purchase once in one ledger step that also binds the transaction id, claims
    ``code`` and writes the receipt to the member's outbox. ``refused``: the card check failed,
    so only an earlier application may be given back (else that error is raised)."""
    counter = key.counter() if key is not None and not key.counted else None
    outcome = services.ledger.purchase(
        member_id=member_id,
        now=now,
        op_key=keys.purchase_op(store.store_id, purchase.transaction_id),
        fingerprint=fingerprint,
        amount=purchase.amount,
        points_used=purchase.points_used,
        store_id=store.store_id,
        transaction_id=purchase.transaction_id,
        code=code,
        receipt=_receipt(store, purchase),
        replay_only=refused is not None,
        counter=counter,
        occurred_at=int(purchase.occurred_at.timestamp()) if purchase.occurred_at else None,
    )
    if outcome.status is Outcome.UNVERIFIED and refused is not None:
        raise refused
    if outcome.status is Outcome.CONFLICT:
        raise TransactionConflictError(purchase.transaction_id)
    if outcome.status is Outcome.FORGOTTEN:
        raise ExpiredTransactionError(purchase.transaction_id)
    if outcome.status is Outcome.INSUFFICIENT:
        raise InsufficientPointsError(outcome.balance, outcome.points_used)
    if outcome.status is Outcome.CODE_USED:
        raise UsedCardCodeError(purchase.card_code)
    if outcome.status is Outcome.NO_MEMBER:
        raise UnknownCardError(purchase.card_code)
    program = services.settings.program
    before = program.ranks.for_spend(outcome.spend - purchase.amount)
    reached = program.ranks.for_spend(outcome.spend)
    if reached.threshold > before.threshold and outcome.active:
        # Once per rank and spend: a POS retry days later (LINE forgets retry keys in 24 h)
        # says nothing.
        push = PushIntent(
            "rank_up",
            rank_up_retry_key(member_id, reached.key, outcome.spend),
            {"rank": reached.key},
            urgent=True,
        )
        services.outbox.put_once(member_id, push, f"ru:{reached.key}:{outcome.spend}", now)
    if program.goals:
        after_spend(services, member_id, outcome.spend - purchase.amount, outcome.spend)
    return PurchaseResult(
        member_number=outcome.member_number,
        points_earned=outcome.points_earned,
        points_used=outcome.points_used,
        balance=outcome.balance,
        rank=services.settings.program.ranks.for_spend(outcome.spend).key,
        replayed=outcome.status is Outcome.REPLAYED,
    )


def refund_purchase(
    services: Services, store: Store, transaction_id: str, *, why: str = "refund"
) -> RefundResult:
    """Reverse a store's purchase once: take back what it earned, restore what it used. The
    shopper is told in the same step (``why``: ``refund`` at the till, ``undo`` by staff)."""
    member_id = services.store.transaction_member(store.store_id, transaction_id)
    if member_id is None:
        raise UnknownTransactionError(transaction_id)
    notice = PushIntent(
        "points_change",
        refund_notice_retry_key(store.store_id, transaction_id),
        {"why": why, "store_name": store.name, "transaction_id": transaction_id},
        urgent=True,
    )
    outcome = services.ledger.refund(
        member_id=member_id,
        now=services.clock(),
        op_key=keys.refund_op(store.store_id, transaction_id),
        purchase_key=keys.purchase_op(store.store_id, transaction_id),
        store_id=store.store_id,
        ref=transaction_id,
        notice=notice,
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
