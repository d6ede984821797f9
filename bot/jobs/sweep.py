"""The daily sweep: expire due lots and notify, remind of what expires soon, archive history
older than the program's retention; the same for reward tickets.

Reads only the due index (``keys.due_index``), never the list of members, so it costs in
proportion to what is due. Safe to run twice or to rerun after a crash: see bot/jobs/notices.py.
On a Redis Cluster the due indexes are kept per shard and each shard is a part of the sweep of
its own (``sweep_part``), which clock processes share out among themselves (bot/jobs/clock.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import astuple, dataclass

from bot.jobs.notices import Stagger, queue_expired_notice, queue_reminders, window_ends
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

    def __add__(self, other: SweepReport) -> SweepReport:
        return SweepReport(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def summary(self) -> str:
        """The figures in the words of the log line (tests and operators read it)."""
        return (
            f"{self.members} members, {self.lots_expired} lots, {self.points_expired} points "
            f"expired; {self.notices} notices, {self.reminders} reminders queued; "
            f"{self.tickets_expired} tickets expired, {self.ticket_reminders} ticket reminders "
            f"queued; {self.history_archived} history entries archived"
        )


NOTHING = SweepReport(0, 0, 0)


def sweep(services: Services, now: int, *, dry_run: bool = False) -> SweepReport:
    """Bring every member with something due by ``now`` up to date, notify and remind: every
    part in turn, then the archive's purge."""
    stagger = Stagger(services, now)
    report = NOTHING
    for shard_tag in keys.shards():  # one on a single Redis
        report += sweep_part(services, now, shard_tag, stagger, dry_run=dry_run)
    if not dry_run:
        purge(services)
    log.info("sweep%s: %s", " (dry run)" if dry_run else "", report.summary())
    return report


def purge(services: Services) -> None:
    """What the sweep does once all its parts are done: forget deleted members' archive lines."""
    purged = purge_deleted(services)
    if purged:
        log.info("sweep: %d archived history lines of deleted members removed", purged)


def sweep_part(
    services: Services,
    now: int,
    shard_tag: str,
    stagger: Stagger,
    *,
    dry_run: bool = False,
    on_batch: Callable[[], None] = lambda: None,
) -> SweepReport:
    """The sweep of one shard's due indexes (the whole sweep but the purge, on one Redis):
    lots, reminders, tickets. ``on_batch`` is called after each batch (a lease renewed)."""
    if not _anything_due(services, now, shard_tag, dry_run=dry_run):
        return NOTHING  # most shards on most days, on a cluster: one round trip for them
    ledger = services.ledger
    lots_expired = points_expired = notices = archived = 0
    seen: set[str] = set()
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
            ledger.clear_due([entry for entries in due.values() for entry in entries], shard_tag)
        on_batch()
    reminders = queue_reminders(
        services, now, stagger, dry_run=dry_run, shard_tag=shard_tag, on_page=on_batch
    )
    tickets_expired = expire_tickets(services, now, dry_run=dry_run, shard_tag=shard_tag)
    ticket_reminders = queue_ticket_reminders(
        services, now, stagger, dry_run=dry_run, shard_tag=shard_tag
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


def _anything_due(services: Services, now: int, shard_tag: str, *, dry_run: bool) -> bool:
    """Whether the shard's due indexes hold anything due by ``now`` or by the end of a
    reminder window (a superset of what the windows read), in one round trip. A shard with
    nothing keeps its watermarks where they are (its next windows start there and read more),
    except that a watermark never set is set (not in a dry run), so that a first window reaches
    back to it."""
    program = services.settings.program
    points = window_ends(services, program.reminders.offsets, now)
    tickets = window_ends(services, program.ticket_reminders, now, "ticket:")
    ends = {**points, **tickets}
    names = [keys.reminder_watermark(label, shard_tag) for label in ends]
    with services.store.redis.pipeline(transaction=False) as pipe:
        pipe.zcount(keys.due_index(shard_tag), "-inf", max([now, *points.values()]))
        pipe.zcount(keys.ticket_due_index(shard_tag), "-inf", max([now, *tickets.values()]))
        for name in names:  # in the shard's slot on a cluster, like the indexes
            pipe.get(name)
        lots, due_tickets, *marks = pipe.execute()
    if lots or due_tickets:
        return True
    unset = {
        label: end for (label, end), mark in zip(ends.items(), marks, strict=True) if mark is None
    }
    if not dry_run:
        services.notices.move_watermarks(unset, shard_tag)
    return False
