"""Notices to a segment of members: choose them from the member indexes, then send in
multicasts of up to 500, each with a retry key derived from the campaign id and its batch.

The segment is resolved once, at a campaign's first run, and kept with it: a rerun with the
same id (after a crash, or after quiet hours or the quota stopped it) sends only the batches
LINE has not accepted yet, under the same retry keys, so it reaches nobody twice and misses
nobody (LINE remembers a retry key for 24 hours and answers 409 to a repeat).

Members are chosen through indexes the ledger keeps up to date (joined, last purchase or
check-in, and per store), then their records are read in pipelined batches for rank, balance,
language, the points expiring first and whether they may get promotions: no keyspace scan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.messaging import ApiException, Message

from bot.domain.durations import Duration
from bot.domain.program import Program
from bot.domain.retry_keys import RETRY_KEY_NAMESPACE
from bot.services import Services
from bot.store import keys

log = logging.getLogger(__name__)

#: LINE's limit on the recipients of one multicast.
BATCH = 500
#: Member records read per pipeline while resolving a segment.
READ_BATCH = 1000


@dataclass(frozen=True)
class Segment:
    """Who a notice goes to; every option narrows it (all of them must hold)."""

    ranks: tuple[str, ...] = ()
    store: str | None = None
    active_days: int | None = None
    inactive_days: int | None = None
    min_balance: int | None = None
    expiring_within: Duration | None = None
    language: str | None = None


@dataclass
class Selection:
    """A resolved segment: the members who get it, and who was left out and why."""

    member_ids: list[str] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Plan:
    """What a send would do: members, requests, and the monthly quota it would use."""

    members: int
    requests: int
    left_out: dict[str, int]
    #: This month's limit (None: no limit) and what is used of it.
    quota_limit: int | None
    quota_used: int
    #: Members of this campaign LINE accepted already (a rerun sends only the rest).
    already_sent: int = 0

    @property
    def to_send(self) -> int:
        return self.members - self.already_sent

    @property
    def quota_left(self) -> int | None:
        return None if self.quota_limit is None else max(self.quota_limit - self.quota_used, 0)


class CampaignError(Exception):
    """A notice that cannot be sent now; the message says why and what to do."""


def resolve(services: Services, segment: Segment, now: int) -> Selection:
    """The members a segment names now (members who may not get promotions left out)."""
    services.store.index_older_members()  # once ever: members from before the indexes
    program = services.settings.program
    redis = services.store.redis
    selection = Selection()
    expiring_by = (
        int(
            segment.expiring_within.after(datetime.fromtimestamp(now, program.timezone)).timestamp()
        )
        if segment.expiring_within
        else None
    )
    for chunk in _chunks(_candidates(services, segment, now, expiring_by), READ_BATCH):
        with redis.pipeline(transaction=False) as pipe:
            for member_id in chunk:
                pipe.hmget(
                    keys.member(member_id), "status", "lang", "balance", "spend", "promotions",
                    "opt_in",
                )  # fmt: skip
                if segment.inactive_days is not None:
                    shard = keys.shard(member_id)
                    pipe.zscore(keys.active_index(shard), member_id)
                    pipe.zscore(keys.members_index(shard), member_id)
                if expiring_by is not None:
                    pipe.zrange(keys.member_ledger(member_id).lots, 0, 0, withscores=True)
            answers = iter(pipe.execute())
        for member_id in chunk:
            status, lang, balance, spend, promotions, opt_in = next(answers)
            last_active = joined = None
            if segment.inactive_days is not None:
                last_active, joined = next(answers), next(answers)
            first_lot = next(answers) if expiring_by is not None else None
            if status is None:
                continue  # deleted since the index named them
            if not _matches(program, segment, now, lang, balance, spend, last_active, first_lot,
                            expiring_by):  # fmt: skip
                continue
            if segment.inactive_days is not None and (
                joined is None or float(joined) >= (now - segment.inactive_days * 86400) * 1000
            ):
                continue  # a member who joined since is new, not inactive
            if status != "active":
                selection.left_out["unfollowed"] += 1
            elif promotions == "off":
                selection.left_out["promotions off"] += 1
            elif program.messages.opt_in and opt_in != "yes":
                selection.left_out["not opted in"] += 1
            else:
                selection.member_ids.append(member_id)
    return selection


def _matches(
    program: Program,
    segment: Segment,
    now: int,
    lang: str | None,
    balance: str | None,
    spend: str | None,
    last_active: float | None,
    first_lot: list[tuple[str, float]] | None,
    expiring_by: int | None,
) -> bool:
    """Whether one member's record is in the segment."""
    if segment.language and (lang or "ja") != segment.language:
        return False
    if segment.min_balance is not None and int(balance or 0) < segment.min_balance:
        return False
    if segment.ranks and program.ranks.for_spend(int(spend or 0)).key not in segment.ranks:
        return False
    if segment.inactive_days is not None:
        cutoff = now - segment.inactive_days * 86400
        if last_active is not None and float(last_active) >= cutoff:
            return False
    return expiring_by is None or bool(first_lot and now < float(first_lot[0][1]) <= expiring_by)


def _candidates(
    services: Services, segment: Segment, now: int, expiring_by: int | None
) -> Iterator[str]:
    """Member ids from the most selective index the segment allows, each once (a member's
    entries are all in their shard's index)."""
    for shard_tag in keys.shards():  # one on a single Redis
        yield from _shard_candidates(services, segment, now, expiring_by, shard_tag)


def _shard_candidates(
    services: Services, segment: Segment, now: int, expiring_by: int | None, shard_tag: str
) -> Iterator[str]:
    redis = services.store.redis
    since = now - segment.active_days * 86400 if segment.active_days is not None else "-inf"
    if segment.store is not None:
        yield from _scan(redis, keys.store_active_index(segment.store, shard_tag), since)
    elif segment.active_days is not None:
        yield from _scan(redis, keys.active_index(shard_tag), since)
    elif expiring_by is not None:
        seen: set[str] = set()
        for entry in _scan(redis, keys.due_index(shard_tag), f"({now}", expiring_by):
            member_id = entry.split("|", 1)[0]
            if member_id not in seen:
                seen.add(member_id)
                yield member_id
    elif segment.language is not None:
        index = keys.language_index(segment.language, shard_tag)
        yield from redis.sscan_iter(index, count=READ_BATCH)
    else:
        yield from _scan(redis, keys.members_index(shard_tag), "-inf")


def _scan(redis: Any, key: str, low: object, high: object = "+inf") -> Iterator[str]:
    """A sorted set's members scored in [low, high], in pages."""
    offset = 0
    while page := redis.zrangebyscore(key, low, high, start=offset, num=READ_BATCH * 5):
        yield from page
        offset += len(page)


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fingerprint(messages: list[dict[str, Any]], segment: Segment) -> str:
    """What a campaign id stands for: the messages and the segment."""
    document = json.dumps([messages, asdict(segment)], sort_keys=True, default=str)
    return hashlib.sha256(document.encode()).hexdigest()[:32]


def batch_retry_key(campaign_id: str, batch: int) -> str:
    """The X-Line-Retry-Key of one multicast of a campaign: the same on every rerun."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"notice:{campaign_id}:{batch}"))


def _frozen(services: Services, campaign_id: str, print_: str) -> int | None:
    """How many members the campaign was resolved to, or None if it never ran; raises if the
    id was used for another notice or segment."""
    state = services.store.redis.hgetall(keys.campaign(campaign_id))
    if not state:
        return None
    if state.get("fp") != print_:
        raise CampaignError(
            f"--id {campaign_id} was used for another notice or segment; pick a new --id"
        )
    return int(state["members"])


def plan(
    services: Services, campaign_id: str, messages: list[dict[str, Any]], segment: Segment
) -> Plan:
    """What sending would do, without sending or keeping anything (the dry run)."""
    now = services.clock()
    frozen = _frozen(services, campaign_id, fingerprint(messages, segment))
    limit, used = services.line.quota_left()
    if frozen is not None:
        done = _done(services, campaign_id)
        return Plan(frozen, math.ceil(frozen / BATCH), {}, limit, used, _sent(done))
    selection = resolve(services, segment, now)
    members = len(selection.member_ids)
    return Plan(members, math.ceil(members / BATCH), dict(selection.left_out), limit, used)


def _done(services: Services, campaign_id: str) -> dict[int, int]:
    state = services.store.redis.hgetall(keys.campaign(campaign_id))
    return {int(k[2:]): int(v) for k, v in state.items() if k.startswith("b:")}


def _sent(done: dict[int, int]) -> int:
    return sum(done.values())


def allowed_now(services: Services) -> datetime | None:
    """None when notices may go out now, else when they may next."""
    program = services.settings.program
    hours = program.messages.hours
    if hours is None:
        return None
    moment = datetime.fromtimestamp(services.clock(), program.timezone)
    if hours.contains(moment):
        return None
    # ``hours`` is the span notices may go in: it opens at its start.
    opens = moment.replace(hour=hours.start.hour, minute=hours.start.minute, second=0,
                           microsecond=0)  # fmt: skip
    if opens <= moment:
        opens += timedelta(days=1)
    return opens


@dataclass(frozen=True)
class Sent:
    """What a send did."""

    members: int
    sent_now: int
    batches_now: int
    already_sent: int
    stopped_at_quota: bool


def send(
    services: Services,
    campaign_id: str,
    messages: list[dict[str, Any]],
    segment: Segment,
    *,
    up_to_quota: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Sent:
    """Send a notice to its segment once per member, resumably (see the module's text)."""
    opens = allowed_now(services)
    if opens is not None:
        raise CampaignError(
            f"notices go out only in [messages] hours; the next opens at {opens:%Y-%m-%d %H:%M}"
        )
    sdk_messages = [Message.from_dict(m) for m in messages]
    services.line.validate_multicast(sdk_messages)
    redis, key = services.store.redis, keys.campaign(campaign_id)
    print_ = fingerprint(messages, segment)
    total = _frozen(services, campaign_id, print_)
    if total is None:
        members = resolve(services, segment, services.clock()).member_ids
        with redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.campaign_members(campaign_id))
            for chunk in _chunks(iter(members), READ_BATCH * 5):
                pipe.rpush(keys.campaign_members(campaign_id), *chunk)
            pipe.hset(key, mapping={"fp": print_, "members": len(members),
                                    "started": services.clock()})  # fmt: skip
            pipe.hsetnx(key, "created", services.clock())
            pipe.execute()
        total = len(members)
    done = _done(services, campaign_id)
    already = _sent(done)
    limit, used = services.line.quota_left()
    room = None if limit is None else max(limit - used, 0)
    left = sum(
        min(BATCH, total - b * BATCH) for b in range(math.ceil(total / BATCH)) if b not in done
    )
    if room is not None and left > room and not up_to_quota:
        raise CampaignError(
            f"{left} members are left to reach but only {room} messages are left of this "
            f"month's {limit}; buy more, narrow the segment, or send --up-to-quota"
        )
    sent_now = batches = 0
    stopped = False
    for batch in range(math.ceil(total / BATCH)):
        if batch in done:
            continue
        ids = redis.lrange(
            keys.campaign_members(campaign_id), batch * BATCH, (batch + 1) * BATCH - 1
        )
        users = _recipients(services, ids)
        if room is not None and len(users) > room:
            stopped = True
            break
        if users:
            try:
                services.line.multicast(
                    users,
                    sdk_messages,
                    batch_retry_key(campaign_id, batch),
                    unit=_unit(campaign_id),
                )
            except ApiException as exc:
                if exc.status != 409:  # 409: LINE took this batch before a crash
                    raise
        redis.hset(key, f"b:{batch}", len(users))
        sent_now += len(users)
        batches += 1
        if room is not None:
            room -= len(users)
        if progress is not None:
            progress(already + sent_now, total)
    if sent_now:
        redis.hset(key, "sent_at", services.clock())
        redis.zadd(keys.campaign_index(), {campaign_id: services.clock()})
        log.info("notice %s: %d members in %d multicasts", campaign_id, sent_now, batches)
    return Sent(total, sent_now, batches, already, stopped)


def _unit(campaign_id: str) -> str:
    """The campaign's aggregation unit in LINE's statistics: ``notice_`` and its id, in the
    characters LINE allows (letters, digits, '_'; at most 30)."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in campaign_id)
    return ("notice_" + cleaned)[:30]


def _recipients(services: Services, member_ids: list[str]) -> list[str]:
    """The LINE user ids of the members who may still get a notice (still following, not
    turned off since the segment was resolved)."""
    with services.store.redis.pipeline(transaction=False) as pipe:
        for member_id in member_ids:
            pipe.hmget(keys.member(member_id), "uid", "status", "promotions")
        rows = pipe.execute()
    return [uid for uid, status, promotions in rows
            if uid and status == "active" and promotions != "off"]  # fmt: skip
