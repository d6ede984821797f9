"""A store owner's figures over a period: members, purchases, points, tickets, check-ins and
notices, read from the day's figures the ledger scripts count (keys.stats_day) and the member
indexes, never from the members one by one (except a notice's own members, for the purchases
that followed it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.services import Services
from bot.store import keys

#: After a notice, purchases within this long count as following it (seconds).
FOLLOW_UP = 7 * 86400
#: Fields of the day's figures, in the order they are reported.
FIELDS = (
    "purchases", "amount", "earned", "used", "refunds", "reversed", "restored", "expired",
    "adjusted", "exchanged", "tickets_issued", "tickets_used", "tickets_expired", "checkins",
    "visit_points", "reminders", "saved",
)  # fmt: skip


@dataclass(frozen=True)
class NoticeFigures:
    """One notice sent in the period."""

    campaign_id: str
    sent_at: int
    members: int
    #: Members who made a purchase within FOLLOW_UP after it.
    bought_after: int


@dataclass(frozen=True)
class Figures:
    """The period's figures; ``store``: only that store's sales, check-ins and tickets used."""

    since: date
    until: date
    store: str | None
    members: int
    new_members: int
    active_members: int
    blocked: int
    totals: Counter[str]
    notices: list[NoticeFigures] = field(default_factory=list)


def figures(services: Services, since_seconds: int, store_id: str | None = None) -> Figures:
    """The figures of the last ``since_seconds`` (whole local days, today included)."""
    services.store.index_older_members()  # once ever: members from before the indexes
    redis, now = services.store.redis, services.clock()
    zone = services.settings.program.timezone
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    start = datetime.fromtimestamp(now - since_seconds, UTC).astimezone(zone).date()
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    shards = keys.shards()  # one on a single Redis: every figure is summed over them
    with redis.pipeline(transaction=False) as pipe:
        for shard_tag in shards:
            for day in days:
                key = (
                    keys.store_stats_day(store_id, day.isoformat(), shard_tag)
                    if store_id
                    else keys.stats_day(day.isoformat(), shard_tag)
                )
                pipe.hgetall(key)
            pipe.zcard(keys.members_index(shard_tag))
            pipe.zcount(keys.members_index(shard_tag), (now - since_seconds) * 1000, "+inf")
            active = (
                keys.store_active_index(store_id, shard_tag)
                if store_id
                else keys.active_index(shard_tag)
            )
            pipe.zcount(active, now - since_seconds, "+inf")
            pipe.scard(keys.blocked_index(shard_tag))
        pipe.zrangebyscore(keys.campaign_index(), now - since_seconds, "+inf", withscores=True)
        answers = pipe.execute()
    totals: Counter[str] = Counter()
    members = new = active_count = blocked = 0
    step = len(days) + 4
    for first in range(0, len(shards) * step, step):
        for day_figures in answers[first : first + len(days)]:
            totals.update({name: int(value) for name, value in day_figures.items()})
        counts = answers[first + len(days) : first + step]
        members, new = members + counts[0], new + counts[1]
        active_count, blocked = active_count + counts[2], blocked + counts[3]
    sent = answers[-1]
    notices = [_notice(services, campaign_id, int(at)) for campaign_id, at in sent]
    return Figures(start, today, store_id, members, new, active_count, blocked, totals, notices)


def _notice(services: Services, campaign_id: str, sent_at: int) -> NoticeFigures:
    redis = services.store.redis
    member_ids = redis.lrange(keys.campaign_members(campaign_id), 0, -1)
    bought = 0
    for start in range(0, len(member_ids), 1000):
        with redis.pipeline(transaction=False) as pipe:
            for member_id in member_ids[start : start + 1000]:
                pipe.zcount(keys.member_ledger(member_id).spend, sent_at, sent_at + FOLLOW_UP)
            bought += sum(1 for n in pipe.execute() if n)
    state = redis.hgetall(keys.campaign(campaign_id))
    sent = sum(int(n) for name, n in state.items() if name.startswith("b:"))
    return NoticeFigures(campaign_id, sent_at, sent, bought)
