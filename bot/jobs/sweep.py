"""The daily sweep: expire due lots and notify, remind of what expires soon, archive history
older than the program's retention; the same for reward tickets.

Reads only the due index (``keys.due_index``), never the list of members, so it costs in
proportion to what is due. Safe to run twice or to rerun after a crash: see bot/jobs/notices.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.jobs.notices import Stagger, queue_expired_notice, queue_reminders
from bot.jobs.ticket_notices import expire_tickets, queue_ticket_reminders
from bot.operations.history_archive import purge_deleted, trim_histories
from bot.services import Services
from bot.store import keys

log = logging.getLogger(__name__)

#: Index entries handled per round trip.
BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did (or, in a dry run, would do)."""

    members: int
    lots_expired: int
    points_expired: int
    notices: int = 0
    reminders: int = 0
    tickets_expired: int = 0
    ticket_reminders: int = 0
    history_archived: int = 0


def sweep(services: Services, now: int, *, dry_run: bool = False) -> SweepReport:
    """Bring every member with something due by ``now`` up to date, notify and remind."""
    ledger = services.ledger
    stagger = Stagger(services, now)
    lots_expired = points_expired = notices = archived = 0
    seen: set[str] = set()
    for shard_tag in keys.shards():  # one on a single Redis
        offset = 0  # a dry run removes nothing, so it pages through the index instead
        while due := ledger.due_members(now, limit=BATCH, offset=offset, shard_tag=shard_tag):
            fresh = [member_id for member_id in due if member_id not in seen]
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
                    # Before the entries go: a crash in between finds the member again on the rerun.
                    if queue_expired_notice(
                        services, member_id, now, stagger, dry_run=dry_run, expiring=bool(expiring)
                    ):
                        notices += 1
            if not dry_run:
                # History is archived where the member is visited anyway, and indexes the member
                # again for when its oldest entry passes the retention: no member list is read.
                archived += trim_histories(services, fresh, now).entries
                # Last: a crash before it finds these members again on the rerun.
                ledger.clear_due(
                    [entry for entries in due.values() for entry in entries], shard_tag
                )
    if not dry_run:
        purged = purge_deleted(services)
        if purged:
            log.info("sweep: %d archived history lines of deleted members removed", purged)
    reminders = queue_reminders(services, now, stagger, dry_run=dry_run)
    tickets_expired = expire_tickets(services, now, dry_run=dry_run)
    ticket_reminders = queue_ticket_reminders(services, now, stagger, dry_run=dry_run)
    log.info(
        "sweep%s: %d members, %d lots, %d points expired; %d notices, %d reminders queued; "
        "%d tickets expired, %d ticket reminders queued; %d history entries archived",
        " (dry run)" if dry_run else "",
        len(seen),
        lots_expired,
        points_expired,
        notices,
        reminders,
        tickets_expired,
        ticket_reminders,
        archived,
    )
    return SweepReport(
        len(seen),
        lots_expired,
        points_expired,
        notices,
        reminders,
        tickets_expired,
        ticket_reminders,
        archived,
    )
