"""An admin's adjustment of a member's points, with its reason, told to the shopper."""

from __future__ import annotations

from bot.domain.records import Outcome, PushIntent
from bot.domain.retry_keys import adjustment_retry_key
from bot.services import Services
from bot.store import keys


def adjust_points(
    services: Services, member_id: str, points: int, reason: str, key: str
) -> tuple[Outcome, int]:
    """Add or remove ``points`` once per ``key``; the shopper gets one notice of it, written
    to their outbox in the same ledger step. Returns the outcome and the balance."""
    op_key = keys.adjustment_op(key)
    notice = PushIntent(
        "points_change",
        adjustment_retry_key(op_key),
        {"why": "adjustment", "reason": reason},
        urgent=False,
    )
    return services.ledger.adjust(
        member_id=member_id,
        now=services.clock(),
        op_key=op_key,
        amount=points,
        reason=reason,
        notice=notice,
    )
