"""Members' outboxes in Redis: pushes a ledger step decided on, until the relay queues them.

A ledger script writes an outbox entry (``keys.outbox``: retry key -> JSON job) in the same step
as the change it reports. Its index entry (``keys.outbox_index``) is written before the step,
so a crash can never leave an entry unindexed; the relay (bot/jobs/outbox.py) reads the index,
queues what it finds and forgets it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import redis

from bot.domain.records import PushIntent
from bot.store import keys
from bot.store.scripts import script

log = logging.getLogger(__name__)

#: Seconds an index entry whose outbox entry is missing is kept: the ledger step writes it
#: within a request's time after the index (a refused step, or a member who does not follow
#: the account, writes none). A process that stalled longer indexes its push again.
OUTBOX_GRACE = 60


def index_entry(member_id: str, retry_key: str) -> str:
    """A member of the outbox index."""
    return f"{member_id}|{retry_key}"


def job_json(push: PushIntent) -> str:
    """An outbox value: what the relay needs to queue the push."""
    job = {"kind": push.kind, "urgent": push.urgent, "payload": push.payload}
    return json.dumps(job, ensure_ascii=False, separators=(",", ":"))


def open_job_json(push: PushIntent) -> str:
    """``job_json`` without its last two closing braces, for a ledger script to append more
    payload fields to (the purchase script adds the points)."""
    return job_json(push).removesuffix("}}")


@dataclass
class Page:
    """One page of the outbox index, as the relay reads it."""

    #: How many index entries the page had.
    seen: int
    #: The (member id, push) found, to queue.
    pushes: list[tuple[str, PushIntent]] = field(default_factory=list)
    #: (member id, retry key, raw value) of entries that do not parse.
    bad: list[tuple[str, str, str]] = field(default_factory=list)
    #: Index entries to forget once the pushes are queued.
    done: list[str] = field(default_factory=list)
    #: The shard whose index the entries are in.
    shard: str = ""


class Outbox:
    """The relay's view of every member's outbox."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def put(self, member_id: str, push: PushIntent, now: int) -> None:
        """Put a push in the member's outbox (the index first, so a crash between the two
        never leaves a push the relay cannot find); the same retry key again changes nothing."""
        index = keys.outbox_index(keys.shard(member_id))
        self.redis.zadd(index, {index_entry(member_id, push.retry_key): now})
        self.redis.hsetnx(keys.outbox(member_id), push.retry_key, job_json(push))

    def put_once(self, member_id: str, push: PushIntent, marker: str, now: int) -> bool:
        """``put`` unless ``marker`` is already in the member's operations hash (a push that
        no retry key can dedupe: LINE forgets them in 24 h); the marker and the push go in
        together. True when the push was put."""
        index = keys.outbox_index(keys.shard(member_id))
        self.redis.zadd(index, {index_entry(member_id, push.retry_key): now})
        ledger = keys.member_ledger(member_id)
        put = script(self.redis, "put_once")(
            keys=[ledger.ops, keys.outbox(member_id)],
            args=[marker, push.retry_key, job_json(push)],
        )
        return bool(put)

    def waiting_count(self) -> int:
        """How many pushes wait in outboxes (index entries over every shard)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for shard_tag in keys.shards():
                pipe.zcard(keys.outbox_index(shard_tag))
            return sum(pipe.execute())

    def busy_shards(self) -> list[str]:
        """The shards whose outbox index has entries (one pipelined read on a cluster)."""
        every = keys.shards()
        if len(every) == 1:
            return list(every)
        with self.redis.pipeline(transaction=False) as pipe:
            for shard_tag in every:
                pipe.zcard(keys.outbox_index(shard_tag))
            counts = pipe.execute()
        return [shard_tag for shard_tag, n in zip(every, counts, strict=True) if n]

    def waiting(self, start: int, count: int, now: int, shard_tag: str = "") -> Page:
        """One shard's index entries ``start`` to ``start + count`` in time order, read with
        their pushes."""
        entries = self.redis.zrange(keys.outbox_index(shard_tag), start, start + count - 1,
                                    withscores=True)  # fmt: skip
        page = Page(seen=len(entries), shard=shard_tag)
        parsed = []
        for entry, score in entries:
            member_id, sep, retry_key = entry.partition("|")
            if not sep:
                page.done.append(entry)  # not an entry this code writes: drop it
                continue
            parsed.append((entry, score, member_id, retry_key))
        with self.redis.pipeline(transaction=False) as pipe:
            for _, _, member_id, retry_key in parsed:
                pipe.hget(keys.outbox(member_id), retry_key)
            found = pipe.execute()
        for (entry, score, member_id, retry_key), raw in zip(parsed, found, strict=True):
            if raw is None:
                if score < now - OUTBOX_GRACE:
                    page.done.append(entry)  # moved already, or never written
                continue
            page.done.append(entry)
            try:
                job = json.loads(raw)
                push = PushIntent(job["kind"], retry_key, job["payload"], bool(job["urgent"]))
            except (ValueError, TypeError, KeyError):
                # One bad entry must not hold up every receipt behind it: set it aside.
                log.error("outbox entry of %s unreadable; kept in %s", member_id,
                          keys.outbox_dead())  # fmt: skip
                page.bad.append((member_id, retry_key, raw))
                continue
            page.pushes.append((member_id, push))
        return page

    def forget(self, page: Page) -> None:
        """Drop a page's queued and unreadable pushes from their outboxes (the unreadable kept
        aside in ``keys.outbox_dead``) and its done entries from the index."""
        if not page.done:
            return
        with self.redis.pipeline(transaction=False) as pipe:
            for member_id, push in page.pushes:
                pipe.hdel(keys.outbox(member_id), push.retry_key)
            for member_id, retry_key, raw in page.bad:
                pipe.hset(keys.outbox_dead(), index_entry(member_id, retry_key), raw)
                pipe.hdel(keys.outbox(member_id), retry_key)
            pipe.zrem(keys.outbox_index(page.shard), *page.done)
            pipe.execute()
