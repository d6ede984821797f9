"""Copy the bot's data from a single Redis into an empty Redis Cluster (``cluster migrate``).

Key names differ between the two (bot/store/keys.py): a member's keys move under their shard's
hash tag, and the global indexes a member's steps write are kept once per shard there. Each
key of the single Redis is read once (``SCAN``: an admin command, never a request path) and
written under its cluster name with ``RESTORE … REPLACE`` and its time to live, or, for an
index, entry by entry into the shard of each entry's member. Every write replaces or re-adds,
so a copy that stopped half-way is run again to the end; a marker on the cluster
(``keys.cluster_migration``) tells such a copy from a cluster the bot already writes to,
which is never copied into.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from bot.store import keys

#: Keys read and written per round trip.
BATCH = 500
#: Names of unknown keys a plan shows.
SHOWN = 10
#: Commands that change nothing: the copy's own reads of the single Redis, and what an idle
#: client or a monitor sends. Any other command the single Redis runs while the copy runs is
#: taken for a write the copy may have missed (``INFO commandstats``).
READS = frozenset(
    {
        "scan", "type", "dump", "pttl", "ttl", "zscan", "sscan", "hscan", "zcard", "scard", "llen",
        "strlen", "exists", "get", "mget", "hget", "hmget", "hgetall", "hlen", "smembers",
        "sismember", "smismember", "zrange", "zrangebyscore", "zscore", "zcount", "lrange", "info",
        "ping", "echo", "hello", "auth", "select", "client", "command", "config", "time", "memory",
        "slowlog", "latency", "dbsize", "role", "lastsave", "readonly", "cluster",
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

    def check_target(self, *, resume: bool) -> None:
        """Refuse a cluster that holds data the copy did not write (the bot's, or another
        copy's that finished): copying into it could overwrite newer points."""
        marker = self.target.get(keys.cluster_migration())
        if marker == b"copying":
            if resume:
                return
            raise CopyRefused(
                "the cluster holds a copy that did not finish: run again with --resume "
                "(nothing runs against the cluster yet) to copy everything again over it"
            )
        if marker == b"done":
            raise CopyRefused(
                "the cluster already holds a finished copy, and the bot may have written to it "
                "since: copying again could overwrite newer points. Flush the cluster first "
                "if that copy is to be replaced."
            )
        if self.target.dbsize() > 0:  # summed over the primaries by the cluster client
            raise CopyRefused("the cluster is not empty: copy only into an empty cluster")

    def run(self, on_batch: Callable[[Report], None] = lambda report: None) -> Report:
        """Copy every key; call ``check_target`` and ``plan`` first."""
        report = Report()
        before = self._commands()
        self.target.set(keys.cluster_migration(), "copying")
        with keys.named_for_cluster():
            for batch in self._names():
                self._copy(batch, report)
                on_batch(report)
        if self.queues is not None:
            report.queue_keys = self._copy_queues(*self.queues)
        report.members = self._members_copied()
        self._refuse_writes_since(before)
        self.target.set(keys.cluster_migration(), "done")
        return report

    def _commands(self) -> Counter[str]:
        """How many times the single Redis ran each command since it started."""
        stats = self.source.info("commandstats")
        return Counter({name.removeprefix("cmdstat_"): v["calls"] for name, v in stats.items()})

    def _refuse_writes_since(self, before: Counter[str]) -> None:
        """A write to the single Redis while it was copied (a bot process still running) may
        be missing from the cluster: the copy is not finished then."""
        ran = self._commands() - before
        writes = {name: calls for name, calls in ran.items() if name.split("|")[0] not in READS}
        if writes:
            seen = ", ".join(f"{name} x{calls}" for name, calls in sorted(writes.items()))
            raise CopyRefused(
                f"REDIS_URL took writes while it was copied ({seen}): is a bot process still "
                "running? Stop it and run again with --resume"
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
                if value is None or ttl == -2:
                    report.gone += 1
                    continue
                ttl = max(int(ttl), 0)
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
        copied = 0
        names = [
            name
            for name in source.scan_iter(match="rq:*", count=1000)
            if not name.startswith((b"rq:worker:", b"rq:workers"))
        ]
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            with source.pipeline(transaction=False) as pipe:
                for name in chunk:
                    pipe.dump(name)
                    pipe.pttl(name)
                answers = pipe.execute()
            with target.pipeline(transaction=False) as pipe:
                for name, value, ttl in zip(chunk, answers[::2], answers[1::2], strict=True):
                    if value is not None and ttl != -2:
                        pipe.restore(name, max(int(ttl), 0), value, replace=True)
                        copied += 1
                pipe.execute()
        return copied
