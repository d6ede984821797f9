"""Bookkeeping that makes the sweep's pushes happen once: markers, watermarks, the daily run."""

from __future__ import annotations

import redis
from redis.lock import Lock

from bot.store import keys
from bot.store.clients import mget
from bot.store.scripts import script

#: Seconds the day's figures are kept (as the ledger scripts keep them: ledger_common.lua).
STATS_TTL = 400 * 86400
#: Member hash field: the ledger index up to which expired points were notified.
NOTIFIED_FIELD = "expiry_notified"


class NoticeState:
    """Reminder markers, reminder watermarks, expiry-notice progress and the daily-run lock."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._set_field = script(client, "set_preference")
        self._move_watermarks = script(client, "watermarks")

    def reminded(self, member_id: str, identity: str) -> bool:
        """True once the reminder ``identity`` was queued for the member (also by a version
        that kept one key per reminder: those expire by themselves)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hexists(keys.member_reminders(member_id), identity)
            pipe.exists(keys.member_reminder(member_id, identity))
            kept, legacy = pipe.execute()
        return bool(kept or legacy)

    def mark_reminded(
        self,
        member_id: str,
        identity: str,
        ttl: int,
        now: int,
        *,
        named: dict[str, int] | None = None,
        figures: str | None = None,
    ) -> None:
        """Remember for ``ttl`` seconds from ``now`` (past the expiry it is about) that it was
        queued; markers past their time are dropped here, so the hash stays small.

        In the same transaction: the reminder counts in the day's ``figures`` hash, and the
        points it ``named`` (lot id -> points) are watched, so the ledger counts what the
        member spends of them before they expire as saved (ledger_common.lua). A lot named by
        an earlier reminder keeps that one's figure."""
        key = keys.member_reminders(member_id)
        stale = [name for name, until in self.redis.hgetall(key).items() if int(until) < now]
        ops = keys.member_ledger(member_id).ops
        with self.redis.pipeline(transaction=True) as pipe:
            if stale:
                pipe.hdel(key, *stale)
            pipe.hset(key, identity, now + max(ttl, 1))
            for lot_id, points in (named or {}).items():
                pipe.hsetnx(ops, f"w:{lot_id}", points)
            if figures is not None:
                pipe.hincrby(figures, "reminders", 1)
                pipe.expire(figures, STATS_TTL)
            pipe.execute()

    def watermarks(self, offsets: list[str], shard_tag: str = "") -> list[int | None]:
        """The due-index scores up to which reminders for ``offsets`` were queued (in one
        shard, on a Redis Cluster), in one read; None for an offset never read."""
        if not offsets:
            return []
        names = [keys.reminder_watermark(offset, shard_tag) for offset in offsets]
        return [int(value) if value is not None else None for value in mget(self.redis, names)]

    def move_watermarks(self, scores: dict[str, int], shard_tag: str = "") -> None:
        """Move the watermarks of offsets forward (never back), in one step."""
        if scores:
            names = [keys.reminder_watermark(offset, shard_tag) for offset in scores]
            self._move_watermarks(keys=names, args=list(scores.values()))

    def notified_upto(self, member_id: str) -> int | None:
        """The ledger index after the last expiry entry notified to the member, if any."""
        value = self.redis.hget(keys.member(member_id), NOTIFIED_FIELD)
        return int(value) if value is not None else None

    def set_notified_upto(self, member_id: str, index: int) -> None:
        """Record that the member's expiry entries before ``index`` were notified."""
        # Through the script: a member deleted meanwhile must not come back as a bare hash.
        self._set_field(keys=[keys.member(member_id)], args=[NOTIFIED_FIELD, index])

    def claim_run(self, day: str, owner: str, ttl: int) -> bool:
        """Take the day's sweep for ``ttl`` seconds; False if it is running or done elsewhere."""
        return bool(self.redis.set(keys.sweep_run(day), f"running {owner}", nx=True, ex=ttl))

    def finish_run(self, day: str, ttl: int) -> None:
        """Mark the day's sweep done (kept ``ttl`` seconds)."""
        self.redis.set(keys.sweep_run(day), "done", ex=ttl)

    def release_run(self, day: str) -> None:
        """Give the day's sweep up after a failure so that the next tick tries again."""
        self.redis.delete(keys.sweep_run(day))

    def part_lease(self, day: str, part: str, ttl: int) -> Lock:
        """A clock's lease on one part (shard) of the day's sweep, renewed as it goes."""
        return self.redis.lock(keys.sweep_part(day, part) + ":lease", timeout=ttl)

    def part_done(self, day: str, part: str) -> bool:
        """True once a part of the day's sweep is done."""
        return bool(self.redis.exists(keys.sweep_part(day, part)))

    def finish_part(self, day: str, part: str, ttl: int) -> None:
        """Mark a part of the day's sweep done (kept ``ttl`` seconds)."""
        self.redis.set(keys.sweep_part(day, part), "done", ex=ttl)

    def parts_done(self, day: str, parts: tuple[str, ...]) -> bool:
        """True once every part of the day's sweep is done."""
        return all(mget(self.redis, [keys.sweep_part(day, part) for part in parts]))

    def run_state(self, day: str) -> str | None:
        """``running <owner>``, ``done`` or None for a local day."""
        return self.redis.get(keys.sweep_run(day))
