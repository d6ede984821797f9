"""Queueing the sweep's pushes exactly once: reminders before expiry, notices after it.

A reminder is (member, offset, last day of use): its retry key is derived from that, a marker
kept until after that day stops a later sweep from queueing it again, and the due index is read
only between the offset's watermark and now + offset, so the cost follows what is due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain.durations import Duration
from bot.domain.retry_keys import expired_retry_key, reminder_retry_key
from bot.domain.schedule import last_day_of_use
from bot.jobs.push import quiet_hours_end
from bot.jobs.queue import queue_push
from bot.services import Services
from bot.store.notice_state import NoticeState

#: Due-index entries read per round trip.
BATCH = 500
#: Places a shared ``Stagger`` takes at a time.
STAGGER_BLOCK = 100
#: How far back the first reminder pass for an offset looks (seconds): one day of sweeps.
SWEEP_PERIOD = 86400
#: Reminder markers outlive the expiry they are about by this long (seconds).
MARKER_MARGIN = 2 * 86400
#: A member never notified before: only expiry entries this recent are news (seconds).
NOTICE_LOOKBACK = 2 * 86400
#: ... among this many latest history entries.
NOTICE_SCAN = 100


class Stagger:
    """Delays for a batch of non-urgent pushes: after quiet hours, at most ``rate`` a second.

    Scheduling them over time keeps the queue short, so replies to shoppers never wait behind
    a day's reminders."""

    def __init__(self, services: Services, now: int, *, shared: str | None = None) -> None:
        resume = quiet_hours_end(services, now)
        self._start = resume - now if resume is not None else 0
        self._rate = services.settings.push_rate
        self._count = self._end = 0
        # ``shared``: a counter key that sweeps running at once (parts of one day's sweep in
        # several clock processes) draw their places from, a block at a time.
        self._redis = services.store.redis if shared else None
        self._shared = shared

    def next(self) -> int:
        """Seconds from now at which the next push should go."""
        if self._redis is not None and self._count == self._end:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.incrby(self._shared, STAGGER_BLOCK)
                pipe.expire(self._shared, SWEEP_PERIOD)
                self._end = int(pipe.execute()[0])
            self._count = self._end - STAGGER_BLOCK
        delay = self._start + self._count // self._rate
        self._count += 1
        return delay


def offset_label(offset: Duration) -> str:
    """A stable name for a reminder offset (part of markers, retry keys and watermarks)."""
    return f"{offset.months}mo" if offset.months else f"{offset.seconds}s"


def reminder_windows(
    services: Services,
    offsets: tuple[Duration, ...],
    now: int,
    prefix: str = "",
    shard_tag: str = "",
) -> list[tuple[str, int, int]]:
    """For each reminder offset with something newly due in the shard (the due index on one
    Redis): its label and the due-index span ``(after, upto]`` to read, from its watermark (a
    day back for a new offset) to now + offset. Things due by now are the expiry pass's; the
    caller moves the watermarks to ``upto`` once it has read every span (an interrupted pass
    reads them again)."""
    ends = window_ends(services, offsets, now, prefix)
    marks = services.notices.watermarks(list(ends), shard_tag)
    windows = []
    for (label, upto), mark in zip(ends.items(), marks, strict=True):
        after = max(mark if mark is not None else upto - SWEEP_PERIOD, now)
        if after < upto:
            windows.append((label, after, upto))
    return windows


def window_ends(
    services: Services, offsets: tuple[Duration, ...], now: int, prefix: str = ""
) -> dict[str, int]:
    """Each reminder offset's label and where its window ends at ``now`` (now + offset)."""
    moment = datetime.fromtimestamp(now, services.settings.program.timezone)
    return {prefix + offset_label(o): int(o.after(moment).timestamp()) for o in offsets}


def queue_reminders(
    services: Services,
    now: int,
    stagger: Stagger,
    *,
    dry_run: bool,
    shard_tag: str = "",
    on_page: Callable[[], None] = lambda: None,
) -> int:
    """Queue the reminders due at ``now`` in one shard (the due index on one Redis) for every
    offset; returns how many (would be) queued. ``on_page`` is called after each page read."""
    program = services.settings.program
    state = services.notices
    queued = 0
    windows = reminder_windows(services, program.reminders.offsets, now, shard_tag=shard_tag)
    for label, after, upto in windows:
        position = 0
        # Paging by position is safe: while it is read the window can only gain entries (new
        # lots), which shows an entry twice (the marker catches it) but never skips one.
        while page := services.ledger.due_between(
            after, upto, limit=BATCH, offset=position, shard_tag=shard_tag
        ):
            position += len(page)
            by_member: dict[str, set[int]] = {}
            for member_id, expires_at in page:
                by_member.setdefault(member_id, set()).add(expires_at)
            for member_id, expiries in by_member.items():
                queued += _remind(
                    services, state, member_id, expiries, label, now, stagger, dry_run
                )
            on_page()
    if not dry_run:
        # Only after every window: an interrupted pass reads them again.
        state.move_watermarks({label: upto for label, _, upto in windows}, shard_tag)
    return queued


def _remind(
    services: Services,
    state: NoticeState,
    member_id: str,
    expiries: set[int],
    label: str,
    now: int,
    stagger: Stagger,
    dry_run: bool,
) -> int:
    member = services.store.member(member_id)
    if member is None or not member.active or not member.reminders:
        return 0
    zone = services.settings.program.timezone
    lots = [lot for lot in services.ledger.lots(member_id) if lot.expires_at > now]
    queued = 0
    for day in sorted({last_day_of_use(at, zone) for at in expiries}):
        named = [lot for lot in lots if last_day_of_use(lot.expires_at, zone) == day]
        points = sum(lot.remaining for lot in named)
        identity = f"{label}:{day.isoformat()}"
        if points <= 0 or state.reminded(member_id, identity):
            continue  # spent lots leave index entries behind; reruns find the marker
        queued += 1
        if dry_run:
            continue
        queue_push(
            services,
            "reminder",
            member_id,
            {"offset": label, "last_day": day.isoformat()},
            reminder_retry_key(member_id, label, day.isoformat()),
            urgent=False,
            delay=stagger.next(),
        )
        # Marked after queueing: a crash in between queues it again on the rerun, under the
        # same retry key, which LINE answers with 409 instead of a second message.
        state.mark_reminded(
            member_id,
            identity,
            max(expiries) - now + MARKER_MARGIN,
            now,
            named={lot.lot_id: lot.remaining for lot in named},
            figures=services.ledger.stats_key(now, member_id),
        )
    return queued


def queue_expired_notice(
    services: Services,
    member_id: str,
    now: int,
    stagger: Stagger,
    *,
    dry_run: bool,
    expiring: bool = False,
) -> bool:
    """Queue one notice of the member's expiry entries not yet notified; True if queued.

    A dry run expires nothing, so it says whether a notice would go, ``expiring`` (lots due
    now) counting as expiry entries."""
    state = services.notices
    start = state.notified_upto(member_id)
    read = services.ledger.entries_from(member_id, start if start is not None else -NOTICE_SCAN)
    recent = read if start is not None else [e for e in read if e.at >= now - NOTICE_LOOKBACK]
    expired = [e for e in recent if e.kind == "expire"]
    member = services.store.member(member_id)
    wanted = member is not None and member.active and member.reminders
    if dry_run:
        return wanted and (bool(expired) or expiring)
    if not read:
        return False
    if wanted and expired:
        zone = services.settings.program.timezone
        last_days = sorted(
            {last_day_of_use(int(e.fields["x"]), zone) for e in expired if "x" in e.fields}
        )
        payload = {
            "points": -sum(e.points for e in expired),
            "last_days": [d.isoformat() for d in last_days],
            "queued_at": now,
        }
        # Named by its last expiry entry: a rerun after a crash finds the same entries.
        key = expired_retry_key(member_id, int(expired[-1].entry_id))
        queue_push(services, "expired", member_id, payload, key, urgent=False, delay=stagger.next())
    state.set_notified_upto(member_id, int(read[-1].entry_id) + 1)
    return wanted and bool(expired)
