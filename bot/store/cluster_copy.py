"""Copy the bot's data from a single Redis into an empty Redis Cluster (``cluster migrate``).

Key names differ between the two (bot/store/keys.py): a member's keys move under their shard's
hash tag, and the global indexes a member's steps write are kept once per shard there. Each
key of the single Redis is read once (``SCAN``: an admin command, never a request path) and
written under its cluster name with ``RESTORE`` and its time to live, or, for an index,
entry by entry into the shard of each entry's member. A marker on the cluster (and on the
queues' new Redis), ``keys.cluster_migration``, tells a copy under way or stopped half-way
from data the bot wrote: a stopped copy is flushed and made again from the start
(``--resume``: the single Redis may have changed since, deletions included), a finished one
or anything else is never copied into.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from bot.store import keys

#: Keys read and written per round trip.
BATCH = 500
#: Names of unknown keys a plan shows.
SHOWN = 10
#: Commands that change data beside those of ACL category ``write`` (ACL CAT write), which
#: leaves out scripts and transactions.
SCRIPTED_WRITES = frozenset({"eval", "evalsha", "fcall", "exec"})
#: The writes the bot sends, for a Redis that does not answer ACL CAT.
BOT_WRITES = frozenset(
    {
        "set", "setex", "psetex", "getset", "getdel", "del", "unlink", "expire", "pexpire",
        "expireat", "persist", "incr", "incrby", "decr", "decrby", "hset", "hsetnx", "hmset",
        "hdel", "hincrby", "sadd", "srem", "zadd", "zrem", "zincrby", "zremrangebyscore",
        "zremrangebyrank", "lpush", "rpush", "lpop", "rpop", "lrem", "ltrim", "lmove",
        "rpoplpush", "restore", "rename", "flushall", "flushdb", "blmove", "blpop", "brpop",
        "bzpopmin", "hincrbyfloat", "xadd", "setnx", "pexpireat", "zpopmin",
    }
)  # fmt: skip


class CopyRefused(Exception):
    """The copy cannot start, or cannot be called finished: the message says why and what to do."""


@dataclass
class Plan:
    """What a copy would do: keys by how they move, and the names the bot never writes."""

    keys: Counter[str] = field(default_factory=Counter)
    unknown: list[str] = field(default_factory=list)
    unknown_count: int = 0

    def summary(self) -> str:
        moves = ", ".join(
            f"{self.keys[how]:,} {how.replace('_', ' ')}" for how in sorted(self.keys)
        )
        return f"{sum(self.keys.values()):,} keys ({moves or 'none'})"


@dataclass
class Report:
    """What a copy did."""

    copied: int = 0
    split: int = 0
    entries: int = 0
    everywhere: int = 0
    dropped: int = 0
    gone: int = 0
    queue_keys: int = 0
    #: Members in the cluster's member index once copied (as many as in the single Redis's).
    members: int = 0

    def summary(self) -> str:
        return (
            f"copied {self.copied:,} keys; {self.split:,} indexes split into the shards "
            f"({self.entries:,} entries); {self.everywhere:,} sweep marks copied to every shard; "
            f"{self.dropped:,} per-minute counters left behind; {self.gone:,} keys expired "
            f"while copying; {self.queue_keys:,} queue keys copied"
        )


def _text(name: bytes) -> str:
    return name.decode("utf-8", errors="replace")


class ClusterCopy:
    """Copies ``source`` (a single Redis, a bytes client) into ``target`` (a cluster client,
    bytes); with ``queues``, the RQ keys of one Redis into another, names unchanged."""

    def __init__(
        self,
        source: redis.Redis,
        target: redis.Redis,
        queues: tuple[redis.Redis, redis.Redis] | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.queues = queues
        #: Set by ``check_target`` with ``resume``: the markers of the stopped copies it saw.
        self._stopped: dict[str, bytes] = {}

    def __enter__(self) -> ClusterCopy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for client in (self.source, self.target, *(self.queues or ())):
            client.close()

    def _names(self) -> Iterable[list[tuple[bytes, str]]]:
        """The source's bot keys with their types, a batch at a time."""
        batch: list[bytes] = []
        for name in self.source.scan_iter(match=f"{keys.PREFIX}:*", count=1000):
            batch.append(name)
            if len(batch) == BATCH:
                yield self._typed(batch)
                batch = []
        if batch:
            yield self._typed(batch)

    def _typed(self, names: list[bytes]) -> list[tuple[bytes, str]]:
        with self.source.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.type(name)
            kinds = pipe.execute()
        return [
            (name, _text(kind)) for name, kind in zip(names, kinds, strict=True) if kind != b"none"
        ]

    def plan(self) -> Plan:
        """Read every key name of the source and where it goes; nothing is written."""
        plan = Plan()
        with keys.named_for_cluster():
            for batch in self._names():
                for name, kind in batch:
                    place = keys.cluster_placement(_text(name), kind)
                    if place is None:
                        plan.unknown_count += 1
                        if len(plan.unknown) < SHOWN:
                            plan.unknown.append(_text(name))
                    else:
                        plan.keys[place.how] += 1
        return plan

    def _targets(self) -> list[tuple[str, redis.Redis]]:
        """What the copy writes to, by the name a message gives it."""
        found = [("the cluster", self.target)]
        if self.queues is not None:
            found.append(("the queues' Redis (--queues-to)", self.queues[1]))
        return found

    def check_target(self, *, resume: bool) -> None:
        """Refuse a cluster (or queues' Redis) that holds data the copy did not write (the
        bot's, another application's, or a copy's that finished): copying into it could
        overwrite newer points. A copy that stopped half-way needs ``resume``."""
        self._stopped = {}
        for label, target in self._targets():
            marker = target.get(keys.cluster_migration())
            if marker is not None and marker.startswith(b"copying"):
                if resume:
                    self._stopped[label] = marker
                    continue
                raise CopyRefused(
                    f"{label} holds a copy that did not finish: run again with --resume to "
                    "flush it and copy everything again"
                )
            if marker == b"done":
                raise CopyRefused(
                    f"{label} already holds a finished copy, and the bot may have written to "
                    "it since: copying again could overwrite newer points. Flush it first if "
                    "that copy is to be replaced."
                )
            if target.dbsize() > 0:  # the cluster client sums it over the primaries
                raise CopyRefused(f"{label} is not empty: copy only into an empty one")

    def run(self, on_batch: Callable[[Report], None] = lambda report: None) -> Report:
        """Copy every key; call ``check_target`` and ``plan`` first. A target holding a copy
        that stopped half-way (``check_target(resume=True)`` let it through) is flushed
        first: only the copy wrote to it, and what the single Redis deleted since must not
        come back."""
        report = Report()
        writes = self._write_counts()
        token = f"copying:{uuid.uuid4().hex}"  # this copy's, so no other can take it for its own
        for label, target in self._targets():
            stopped = self._stopped.get(label)
            if stopped is not None and target.get(keys.cluster_migration()) == stopped:
                target.flushdb()
            if not target.set(keys.cluster_migration(), token, nx=True):
                raise CopyRefused(f"another copy into {label} started at the same time")
        with keys.named_for_cluster():
            for batch in self._names():
                self._copy(batch, report)
                on_batch(report)
        if self.queues is not None:
            report.queue_keys = self._copy_queues(*self.queues)
        report.members = self._members_copied()
        self._refuse_writes_since(writes)
        for label, target in self._targets():
            if target.get(keys.cluster_migration()) != token.encode():
                raise CopyRefused(f"another copy into {label} took it over meanwhile")
        self.target.set(keys.cluster_migration(), "done")
        if self.queues is not None:
            self.queues[1].delete(keys.cluster_migration())  # the bot's queues: nothing else
        return report

    def _sources(self) -> list[redis.Redis]:
        return [self.source] if self.queues is None else [self.source, self.queues[0]]

    def _write_counts(self) -> list[tuple[str, Counter[str]]]:
        """Each Redis the copy reads from: its run id and the writes it ran since it started,
        by command."""
        counts = []
        for source in self._sources():
            stats = source.info("commandstats")
            try:
                writing = {str(name) for name in source.acl_cat("write")} | SCRIPTED_WRITES
            except redis.ResponseError:  # ACL renamed or disabled: the bot's own writes
                writing = BOT_WRITES | SCRIPTED_WRITES
            written = Counter(
                {
                    name: value["calls"]
                    for cmdstat, value in stats.items()
                    # Redis 7 lists write subcommands (``xgroup|create``), 6.2 their command.
                    if (name := cmdstat.removeprefix("cmdstat_")) in writing
                    or name.split("|")[0] in writing
                }
            )
            counts.append((source.info("server")["run_id"], written))
        return counts

    def _refuse_writes_since(self, before: list[tuple[str, Counter[str]]]) -> None:
        """A write to the single Redis (or the queues') while it was copied, by a bot process
        still running, may be missing from the copy: the copy is not finished then. Only
        writes count: a replica's acknowledgements, Sentinel's hellos and reads do not. A
        restart or a reset of the statistics (CONFIG RESETSTAT) hides writes: not finished
        either."""
        for (was_id, was), (now_id, now) in zip(before, self._write_counts(), strict=True):
            if now_id != was_id or any(now[name] < calls for name, calls in was.items()):
                raise CopyRefused(
                    "REDIS_URL (or the queues' Redis) restarted or had its statistics reset "
                    "while it was copied, so writes cannot be ruled out: run again with --resume"
                )
            if ran := now - was:
                seen = ", ".join(f"{name} x{calls}" for name, calls in sorted(ran.items()))
                raise CopyRefused(
                    f"REDIS_URL (or the queues' Redis) took writes while it was copied ({seen}):"
                    " is a bot process still running? Stop it and run again with --resume"
                )

    def _members_copied(self) -> int:
        """The members in the cluster's index, checked against the single Redis's: a bot
        process still running could have added one the copy missed."""
        with keys.named_for_cluster(), self.target.pipeline(transaction=False) as pipe:
            for tag in keys.shards():
                pipe.zcard(keys.members_index(tag))
            there = sum(pipe.execute())
        here = self.source.zcard(keys.members_index())
        if there != here:
            raise CopyRefused(
                f"the cluster's member index holds {there:,} members, REDIS_URL's {here:,}: "
                "is a bot process still running? Stop it and run again with --resume"
            )
        return there

    def _copy(self, batch: list[tuple[bytes, str]], report: Report) -> None:
        placed = [(name, kind, keys.cluster_placement(_text(name), kind)) for name, kind in batch]
        whole = [(n, p) for n, _, p in placed if p is not None and p.how in ("copy", "every_shard")]
        with self.source.pipeline(transaction=False) as pipe:
            for name, _ in whole:
                pipe.dump(name)
                pipe.pttl(name)
            answers = pipe.execute()
        with self.target.pipeline(transaction=False) as pipe:
            for (_, place), value, ttl in zip(whole, answers[::2], answers[1::2], strict=True):
                if value is None or ttl == -2 or ttl == 0:  # 0: less than a millisecond left
                    report.gone += 1
                    continue
                ttl = max(int(ttl), 0)  # -1: no time to live, which RESTORE's 0 is
                if place.how == "copy":
                    pipe.restore(place.name, ttl, value, replace=True)
                    report.copied += 1
                else:
                    for tag in keys.shards():
                        pipe.restore(place.per_shard(tag), ttl, value, replace=True)
                    report.everywhere += 1
            pipe.execute()
        for name, kind, place in placed:
            if place is None:
                raise CopyRefused(f"a key the bot never writes appeared while copying: {name!r}")
            if place.how == "by_member":
                report.entries += self._split(name, kind, place.per_shard)
                report.split += 1
            elif place.how == "drop":
                report.dropped += 1

    def _split(self, name: bytes, kind: str, per_shard: Callable[[str], str]) -> int:
        """Copy an index entry by entry into the shard of each entry's member: a page of
        entries at a time, one ``ZADD`` or ``SADD`` per shard key of the page."""
        if kind == "zset":
            entries: Iterable[tuple[bytes, float | None]] = self.source.zscan_iter(name, count=1000)
        elif kind == "set":
            entries = ((member, None) for member in self.source.sscan_iter(name, count=1000))
        else:
            raise CopyRefused(f"{_text(name)} is a {kind}, not the index the bot writes")
        done = 0
        page: dict[str, dict[bytes, float | None]] = {}
        for entry, score in entries:
            target = per_shard(keys.shard(_text(entry).split("|", 1)[0]))
            page.setdefault(target, {})[entry] = score
            done += 1
            if done % (BATCH * 4) == 0:
                self._add(page, sorted_set=kind == "zset")
                page = {}
        self._add(page, sorted_set=kind == "zset")
        return done

    def _add(self, page: dict[str, dict[bytes, float | None]], *, sorted_set: bool) -> None:
        with self.target.pipeline(transaction=False) as pipe:
            for target, entries in page.items():
                if sorted_set:
                    pipe.zadd(target, entries)  # type: ignore[arg-type]
                else:
                    pipe.sadd(target, *entries)
            pipe.execute()

    @staticmethod
    def _copy_queues(source: redis.Redis, target: redis.Redis) -> int:
        """Every RQ key but the workers' registrations (those processes are stopped)."""
        names = [
            name
            for name in source.scan_iter(match="rq:*", count=1000)
            if not name.startswith((b"rq:worker:", b"rq:workers"))
        ]
        return copy_as_is(source, target, names)


def copy_as_is(source: redis.Redis, target: redis.Redis, names: list[bytes]) -> int:
    """Copy ``names`` under the same names, with their times to live, a batch per round trip;
    returns how many were copied (the rest expired meanwhile)."""
    copied = 0
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        with source.pipeline(transaction=False) as pipe:
            for name in chunk:
                pipe.dump(name)
                pipe.pttl(name)
            answers = pipe.execute()
        with target.pipeline(transaction=False) as pipe:
            for name, value, ttl in zip(chunk, answers[::2], answers[1::2], strict=True):
                if value is not None and ttl not in (-2, 0):  # 0: under a millisecond left
                    pipe.restore(name, max(int(ttl), 0), value, replace=True)
                    copied += 1
            pipe.execute()
    return copied
