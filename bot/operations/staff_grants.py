"""Staff grants from inside LINE: a confirmed grant is a purchase at the staff member's store,
counted once in the store's day and open for undo; undo refunds it within UNDO_WINDOW and
takes it out of the day's totals."""

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
    """Grants made from LINE on one local day: how many, the purchases' amount, the points."""

    count: int
    amount: int
    earned: int

    @classmethod
    def of(cls, grants: list[dict[str, Any]]) -> DayTotals:
        """The totals of these grants (undone ones left out)."""
        kept = [g for g in grants if not g.get("undone")]
        return cls(
            count=len(kept),
            amount=sum(int(g["amount"]) for g in kept),
            earned=sum(int(g.get("earned", 0)) for g in kept),
        )


@dataclass(frozen=True)
class Today:
    """A staff member's grants today, and their store's (all its staff's grants from LINE)."""

    mine: DayTotals
    store: DayTotals


def local_day(services: Services) -> str:
    """Today's date in the program's time zone (the day a grant is counted on)."""
    zone = services.settings.program.timezone
    return datetime.fromtimestamp(services.clock(), UTC).astimezone(zone).date().isoformat()


def grant(
    services: Services, staff_id: str, store: Store, pending: dict[str, Any], *, first: bool
) -> PurchaseResult:
    """Apply a confirmed grant once (its transaction id makes a double tap a replay).

    ``first`` is True for the pending grant (not a replay of the last one): it is then counted
    in the store's day and opened for undo, once per transaction id however many confirms run
    at once. Also after a replay: a worker that died between the grant and this record left
    the session pending, and the grant must still count and be undoable.
    Raises the ``DomainError`` the purchase raised.
    """
    purchase = Purchase(
        pending["txn"], pending["code"], pending["amount"], pending["used"], (), None
    )
    result = record_purchase(services, store, purchase)
    if first:
        record = {
            **pending,
            "earned": result.points_earned,
            "at": services.clock(),
            "day": local_day(services),
        }
        services.staff_sessions.record_grant(staff_id, store.store_id, record)
    return result


def undo_last_grant(services: Services, staff_id: str, store: Store) -> RefundResult | None:
    """Refund the staff member's last grant if it is at most UNDO_WINDOW old, and leave it out
    of the day's totals; None if there is nothing to undo (too old, already undone, or never
    applied). The shopper is told (one notice, with the refund)."""
    sessions = services.staff_sessions
    last = sessions.last_grant(staff_id)
    if last is None or services.clock() - last.get("at", 0) > UNDO_WINDOW:
        return None
    if not sessions.forget_last_grant(staff_id):
        return None  # a concurrent undo took it
    try:
        result = refund_purchase(services, store, last["txn"], why="undo")
    except UnknownTransactionError:
        return None
    sessions.mark_undone(store.store_id, last.get("day") or local_day(services), last["txn"])
    return result


def day_totals(services: Services, staff_id: str, store: Store) -> Today:
    """Today's grants from LINE: the staff member's own and their store's."""
    grants = services.staff_sessions.store_day(store.store_id, local_day(services))
    mine = [g for g in grants if g.get("staff") == staff_id]
    return Today(mine=DayTotals.of(mine), store=DayTotals.of(grants))
