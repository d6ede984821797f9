"""Staff grants from inside LINE: a confirmed grant is a purchase at the staff member's store,
recorded for undo and for the day's list; undo refunds it within UNDO_WINDOW."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.errors import UnknownTransactionError
from bot.domain.purchase import Purchase
from bot.domain.records import Store
from bot.operations.purchases import PurchaseResult, RefundResult, record_purchase, refund_purchase
from bot.services import Services
from bot.store.staff_sessions import UNDO_WINDOW


@dataclass(frozen=True)
class DayTotals:
    """A staff member's grants on one local day."""

    count: int
    amount: int
    earned: int


def local_day(services: Services) -> str:
    """Today's date in the program's time zone (the day a grant is counted on)."""
    zone = services.settings.program.timezone
    return datetime.fromtimestamp(services.clock(), UTC).astimezone(zone).date().isoformat()


def grant(
    services: Services, staff_id: str, store: Store, pending: dict[str, Any], *, first: bool
) -> PurchaseResult:
    """Apply a confirmed grant once (its transaction id makes a double tap a replay).

    ``first`` is True for the pending grant (not a replay of the last one): it is then recorded
    for undo and the day's list. Also after a replay: a worker that died between the grant and
    this record left the session pending, and the grant must still count and be undoable.
    Raises the ``DomainError`` the purchase raised.
    """
    purchase = Purchase(
        pending["txn"], pending["code"], pending["amount"], pending["used"], (), None
    )
    result = record_purchase(services, store, purchase)
    if first:
        record = {**pending, "earned": result.points_earned, "at": services.clock()}
        services.staff_sessions.record_grant(staff_id, local_day(services), record)
    return result


def undo_last_grant(services: Services, staff_id: str, store: Store) -> RefundResult | None:
    """Refund the staff member's last grant if it is at most UNDO_WINDOW old; None if there
    is nothing to undo (too old, already undone, or never applied)."""
    sessions = services.staff_sessions
    last = sessions.last_grant(staff_id)
    if last is None or services.clock() - last.get("at", 0) > UNDO_WINDOW:
        return None
    if not sessions.forget_last_grant(staff_id):
        return None  # a concurrent undo took it
    try:
        return refund_purchase(services, store, last["txn"])
    except UnknownTransactionError:
        return None


def day_totals(services: Services, staff_id: str) -> DayTotals:
    """Count and totals of the staff member's grants today."""
    grants = services.staff_sessions.day(staff_id, local_day(services))
    return DayTotals(
        count=len(grants),
        amount=sum(g["amount"] for g in grants),
        earned=sum(g.get("earned", 0) for g in grants),
    )
