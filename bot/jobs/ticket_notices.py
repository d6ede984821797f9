"""The sweep's ticket work: expire unused tickets past their last moment, and remind of those
about to pass it, each exactly once.

Reads only the ticket due index (``keys.ticket_due_index``), as the points sweep reads only
the lots' due index. Reminders follow the points reminders' rules (bot/jobs/notices.py): a
retry key per (member, ticket, offset), a marker that stops a rerun from queueing it again,
and a watermark per offset so each pass reads only what became due since the last.
"""

from __future__ import annotations

from bot.domain.records import TicketState
from bot.domain.retry_keys import ticket_reminder_retry_key
from bot.jobs.notices import MARKER_MARGIN, Stagger, reminder_windows
from bot.jobs.queue import queue_push
from bot.services import Services
from bot.store import keys

#: Due-index entries read per round trip.
BATCH = 500


def expire_tickets(services: Services, now: int, *, dry_run: bool, shard_tag: str = "") -> int:
    """Expire every unused ticket of one shard (all, on one Redis) past its last moment (a
    history entry each); returns how many were (or, in a dry run, would be) expired."""
    tickets = services.tickets
    expired = 0
    offset = 0  # a dry run removes nothing, so it pages through the index instead
    previous: list[str] = []
    while page := services.store.redis.zrangebyscore(
        keys.ticket_due_index(shard_tag), "-inf", now, start=offset, num=BATCH
    ):
        by_member: dict[str, list[str]] = {}
        for entry in page:
            member_id, _, number = entry.partition("|")
            by_member.setdefault(member_id, []).append(number)
        if dry_run:
            offset += len(page)
            for member_id, numbers in by_member.items():
                for number in numbers:
                    found = tickets.ticket(member_id, number)
                    expired += found is not None and found.state is TicketState.ACTIVE
            continue
        for member_id, numbers in by_member.items():
            expired += tickets.expire(member_id, now, numbers)
        if page == previous:
            break  # entries the script would not drop: never spin on them
        previous = page
    return expired


def queue_ticket_reminders(
    services: Services, now: int, stagger: Stagger, *, dry_run: bool, shard_tag: str = ""
) -> int:
    """Queue the reminders before tickets' last moments due at ``now`` in one shard (all, on
    one Redis); returns how many."""
    program = services.settings.program
    state = services.notices
    queued = 0
    windows = reminder_windows(services, program.ticket_reminders, now, "ticket:", shard_tag)
    for label, after, upto in windows:
        span = upto - now
        position = 0
        while page := services.tickets.due_between(
            after, upto, limit=BATCH, offset=position, shard_tag=shard_tag
        ):
            position += len(page)
            for member_id, number, expires_at in page:
                queued += _remind(
                    services, member_id, number, expires_at, label, span, now, stagger, dry_run
                )
    if not dry_run:
        state.move_watermarks({label: upto for label, _, upto in windows}, shard_tag)
    return queued


def _remind(
    services: Services,
    member_id: str,
    number: str,
    expires_at: int,
    label: str,
    span: int,
    now: int,
    stagger: Stagger,
    dry_run: bool,
) -> int:
    ticket = services.tickets.ticket(member_id, number)
    # A ticket whose whole life is shorter than the offset would be reminded of at once.
    if ticket is None or not ticket.usable(now) or ticket.expires_at - ticket.issued_at <= span:
        return 0
    member = services.store.member(member_id)
    identity = f"{label}:{number}"
    if member is None or not member.active or not member.reminders:
        return 0
    if services.notices.reminded(member_id, identity):
        return 0
    if dry_run:
        return 1
    queue_push(
        services,
        "ticket_reminder",
        member_id,
        {"ticket": number, "offset": label},
        ticket_reminder_retry_key(member_id, number, label),
        urgent=False,
        delay=stagger.next(),
    )
    services.notices.mark_reminded(member_id, identity, expires_at - now + MARKER_MARGIN, now)
    return 1
