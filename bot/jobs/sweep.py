"""The daily sweep: expire due lots and age rank windows, costing in proportion to what is due.

Reads only the due index (``keys.due_index``), never the list of members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.services import Services

log = logging.getLogger(__name__)

#: Index entries handled per round trip.
BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did (or, in a dry run, would do)."""

    members: int
    lots_expired: int
    points_expired: int


def sweep(services: Services, now: int, *, dry_run: bool = False) -> SweepReport:
    """Bring every member with something due by ``now`` up to date."""
    ledger = services.ledger
    lots_expired = points_expired = 0
    seen: set[str] = set()
    offset = 0  # a dry run removes nothing, so it pages through the index instead
    while due := ledger.due_members(now, limit=BATCH, offset=offset):
        for member_id, entries in due.items():
            if dry_run:
                offset += len(entries)
            if member_id not in seen:
                seen.add(member_id)
                expiring = [lot for lot in ledger.lots(member_id) if lot.expires_at <= now]
                lots_expired += len(expiring)
                points_expired += sum(lot.remaining for lot in expiring)
            if not dry_run:
                ledger.maintain(member_id, now)
                ledger.clear_due(entries)
    log.info(
        "sweep%s: %d members, %d lots, %d points expired",
        " (dry run)" if dry_run else "",
        len(seen),
        lots_expired,
        points_expired,
    )
    return SweepReport(len(seen), lots_expired, points_expired)
