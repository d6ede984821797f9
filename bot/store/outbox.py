"""Members' outboxes in Redis: pushes a ledger step decided on, until the relay queues them.

A ledger script writes an outbox entry (``keys.outbox``: retry key -> JSON job) in the same step
as the change it reports. Its index entry (``keys.outbox_index``) is written before the step,
so a crash can never leave an entry unindexed; the relay (bot/jobs/outbox.py) reads the index,
queues what it finds and forgets it.
"""

from __future__ import annotations

import json

import redis

from bot.domain.records import PushIntent
from bot.store import keys

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


class Outbox:
    """The relay's view of every member's outbox."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def waiting(self, start: int, count: int, now: int) -> tuple[list, list[str], int]:
        """Index entries ``start`` to ``start + count`` in time order: the (member id, push)
        found in outboxes, the entries to forget once those are queued (their push, or a
        missing one past OUTBOX_GRACE), and how many entries the page had."""
        entries = self.redis.zrange(keys.outbox_index(), start, start + count - 1,
                                    withscores=True)  # fmt: skip
        parsed = [(entry, score, *entry.split("|", 1)) for entry, score in entries]
        with self.redis.pipeline(transaction=False) as pipe:
            for _, _, member_id, retry_key in parsed:
                pipe.hget(keys.outbox(member_id), retry_key)
            found = pipe.execute()
        pushes, done = [], []
        for (entry, score, member_id, retry_key), raw in zip(parsed, found, strict=True):
            if raw is None:
                if score < now - OUTBOX_GRACE:
                    done.append(entry)  # moved already, or never written
                continue
            job = json.loads(raw)
            pushes.append(
                (member_id, PushIntent(job["kind"], retry_key, job["payload"], job["urgent"]))
            )
            done.append(entry)
        return pushes, done, len(entries)

    def forget(self, pushes: list[tuple[str, PushIntent]], done: list[str]) -> None:
        """Drop queued pushes from their outboxes and ``done`` entries from the index."""
        if not done:
            return
        with self.redis.pipeline(transaction=False) as pipe:
            for member_id, push in pushes:
                pipe.hdel(keys.outbox(member_id), push.retry_key)
            pipe.zrem(keys.outbox_index(), *done)
            pipe.execute()
