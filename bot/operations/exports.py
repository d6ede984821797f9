"""CSV exports for a store owner: members, and every ledger step of the period.

Rows are streamed: members come from the indexes in pages and their records are read in
pipelined batches, so memory stays bounded whatever the number of members (the transactions
export reads every member's latest history, so its time grows with the members). Members are named
by their member number, never by their LINE user id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from bot.operations.history_archive import archived_entries
from bot.services import Services
from bot.store import keys

#: Member records (or histories) read per pipeline.
BATCH = 500
#: History entries read per page, newest first, until one is older than the period.
HISTORY_PAGE = 100

MEMBER_COLUMNS = (
    "member_number", "joined", "status", "language", "rank", "balance", "last_active",
    "visits", "promotions",
)  # fmt: skip
TRANSACTION_COLUMNS = (
    "at", "member_number", "store", "kind", "reference", "points", "balance", "amount", "reward",
)  # fmt: skip


def _local(services: Services, unix: float | None) -> str:
    if not unix:
        return ""
    zone = services.settings.program.timezone
    return datetime.fromtimestamp(float(unix), UTC).astimezone(zone).isoformat(timespec="seconds")


def _period_members(services: Services, since: int, store_id: str | None) -> Iterator[str]:
    """Members active in the period (at ``store_id``), then, without a store, those who joined
    in it; each once (the seen set holds ids only of the period's members)."""
    services.store.index_older_members()  # once ever: members from before the indexes
    redis = services.store.redis
    sources = []
    for shard_tag in keys.shards():  # one on a single Redis
        if store_id:
            sources.append((keys.store_active_index(store_id, shard_tag), since))
        else:
            sources.append((keys.active_index(shard_tag), since))
    if store_id is None:
        sources += [(keys.members_index(shard_tag), since * 1000) for shard_tag in keys.shards()]
    seen: set[str] = set()
    for key, low in sources:
        offset = 0
        while page := redis.zrangebyscore(key, low, "+inf", start=offset, num=BATCH * 10):
            offset += len(page)
            for member_id in page:
                if member_id not in seen:
                    seen.add(member_id)
                    yield member_id


def _batches(items: Iterator[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def member_rows(services: Services, since: int, store_id: str | None) -> Iterator[list[str]]:
    """One row per member active or joined in the period."""
    redis, program = services.store.redis, services.settings.program
    for batch in _batches(_period_members(services, since, store_id)):
        with redis.pipeline(transaction=False) as pipe:
            for member_id in batch:
                pipe.hmget(keys.member(member_id), "number", "joined", "status", "lang",
                           "spend", "balance", "promotions")  # fmt: skip
                pipe.zscore(keys.active_index(keys.shard(member_id)), member_id)
                pipe.hget(keys.member_visits(member_id), "total")
            answers = iter(pipe.execute())
        for _ in batch:
            number, joined, status, lang, spend, balance, promotions = next(answers)
            last_active, visits = next(answers), next(answers)
            if number is None:
                continue  # deleted since
            rank = program.ranks.for_spend(int(spend or 0)).key
            yield [number, _local(services, int(joined or 0) / 1000), status or "", lang or "ja",
                   rank, balance or "0", _local(services, last_active), visits or "0",
                   "off" if promotions == "off" else "on"]  # fmt: skip


def _all_members(services: Services) -> Iterator[str]:
    """Every member id, from the members index in pages."""
    services.store.index_older_members()
    redis = services.store.redis
    for shard_tag in keys.shards():  # one on a single Redis
        index, offset = keys.members_index(shard_tag), 0
        while page := redis.zrange(index, offset, offset + BATCH * 10 - 1):
            offset += len(page)
            yield from page


def transaction_rows(services: Services, since: int, store_id: str | None) -> Iterator[list[str]]:
    """One row per ledger step of the period (purchases, points used, refunds, expiry,
    adjustments, exchanges, tickets, check-ins); with ``store_id``, the steps at that store.
    First the steps the sweep archived (older than the history retention, oldest first),
    then each member's history in Redis, oldest first, read back to the period's start (a
    refund or an expiry today may be of a member who bought long ago)."""
    for _, number, entry in archived_entries(services, since):
        if store_id is None or entry.get("s") == store_id:
            yield _row(services, number, entry, entry.get("a", ""))
    redis = services.store.redis
    for member_id in _all_members(services):
        number = redis.hget(keys.member(member_id), "number")
        if number is None:
            continue
        entries = _entries_since(services, member_id, since)
        if store_id is not None:
            entries = [e for e in entries if e.get("s") == store_id]
        amounts = _amounts(services, member_id, entries)
        for entry, amount in zip(entries, amounts, strict=True):
            yield _row(services, number, entry, amount)


def _row(services: Services, number: str, entry: dict, amount: str) -> list[str]:
    return [_local(services, entry["t"]), number, entry.get("s", ""), entry["k"],
            entry.get("ref", ""), str(entry["p"]), str(entry["b"]), str(amount),
            entry.get("rw", "")]  # fmt: skip


def _entries_since(services: Services, member_id: str, since: int) -> list[dict]:
    """The member's history entries at or after ``since``, oldest first (read from the end)."""
    redis, key = services.store.redis, keys.member_ledger(member_id).history
    end = redis.llen(key) - 1
    found: list[dict] = []
    while end >= 0:
        start = max(end - HISTORY_PAGE + 1, 0)
        page = [json.loads(raw) for raw in redis.lrange(key, start, end)]
        recent = [entry for entry in page if entry["t"] >= since]
        found = recent + found
        if len(recent) < len(page):
            break
        end = start - 1
    return found


def _amounts(services: Services, member_id: str, entries: list[dict]) -> list[str]:
    """The purchase amount of each ``earn`` entry (the entry's own, or for entries from before
    it had one, its operation record's while that is kept), else ''."""
    wanted = [
        keys.purchase_op(e["s"], e["ref"])
        if e["k"] == "earn" and "s" in e and "a" not in e
        else None
        for e in entries
    ]
    ops = keys.member_ledger(member_id).ops
    fields = [w for w in wanted if w]
    found = (
        dict(zip(fields, services.store.redis.hmget(ops, fields), strict=True)) if fields else {}
    )
    if fields:
        with services.store.redis.pipeline(transaction=False) as pipe:
            for field in fields:
                pipe.get(keys.operation_record(member_id, field))
            for field, raw in zip(fields, pipe.execute(), strict=True):
                found[field] = raw or found.get(field)
    own = [str(e["a"]) if "a" in e else "" for e in entries]
    if not fields:
        return own
    return [str(json.loads(found[w]).get("amount", "")) if w and found.get(w) else mine
            for w, mine in zip(wanted, own, strict=True)]  # fmt: skip
