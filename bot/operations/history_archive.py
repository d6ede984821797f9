"""History older than the program's retention: archived to files by the daily sweep, then
dropped from Redis; ``export transactions`` reads the archive back.

The archive is a folder (``HISTORY_ARCHIVE_DIR``) of append-only JSON-lines files, one per UTC
month in which the sweep archived (``history-2026-11.jsonl``; an entry is archived after it
was made, so the entries made since a day are in that month's file or later ones). A line is
``{"m": member id, "id": entry id, "e": the entry as Redis held it}``. Cold data on disk, not
Redis memory: a member's Redis memory stays bounded by the retention. Entries are written and
fsynced before Redis drops them, so a crash in between archives them twice, never loses them;
readers keep, per member, only entries below the member's ``h0`` (dropped from Redis) and each
id once.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from redis.exceptions import LockError
from redis.lock import Lock

from bot.domain.durations import Duration, add_months
from bot.services import Services
from bot.store import keys
from bot.store.redis_store import StoreError

#: History entries read from a member's oldest per round trip.
HEAD = 200
#: Archive lines whose members are looked up per pipeline.
BATCH = 500
#: Seconds the archive lock lasts unless its holder renews it (every ``RENEW_EVERY`` seconds
#: while it trims or purges): a process killed while holding it holds up the others this long,
#: less than the lease of a clock's part of the sweep (bot/jobs/clock.py PART_LEASE), which a
#: clock waiting for it keeps.
ARCHIVE_LOCK_SECONDS = 10
RENEW_EVERY = 2.0
#: Seconds a trim waits for the lock (a purge, or another clock's trim, holding it).
ARCHIVE_WAIT_SECONDS = 120


@dataclass(frozen=True)
class Trimmed:
    """What archiving did: members whose history was cut, entries archived and dropped."""

    members: int = 0
    entries: int = 0


def cutoff(retention: Duration, now: int) -> int:
    """Entries before this time (unix s) are older than ``retention`` at ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    if retention.months:
        return int(add_months(moment, -retention.months).timestamp())
    return int((moment - timedelta(seconds=retention.seconds)).timestamp())


def archive_file(folder: Path, at: int) -> Path:
    """The archive file of entries archived at ``at`` (unix s): one per UTC month."""
    return folder / f"history-{datetime.fromtimestamp(at, UTC):%Y-%m}.jsonl"


class _Writer:
    """Appends archive lines, one open file per month, all fsynced before anything is dropped."""

    def __init__(self, folder: Path, now: int) -> None:
        self.path = archive_file(folder, now)
        self.out: IO[str] | None = None

    def write(self, member_id: str, entry_id: int, raw: str) -> None:
        out = self.out
        if out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            out = self.out = self.path.open("a+", encoding="utf-8")
            out.seek(0, os.SEEK_END)
            if out.tell() > 0:
                out.seek(out.tell() - 1)
                last = out.read(1)
                out.seek(0, os.SEEK_END)
                if last != "\n":
                    out.write("\n")  # a line a crash cut short stays alone on its line
        out.write(f'{{"m":"{member_id}","id":{entry_id},"e":{raw}}}\n')

    def sync(self) -> None:
        if self.out is not None:
            self.out.flush()
            os.fsync(self.out.fileno())

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


def trim_histories(services: Services, member_ids: Iterable[str], now: int) -> Trimmed:
    """Archive and drop the history entries older than the retention of each member, and index
    each member again for when their oldest remaining entry passes it (the sweep's due index,
    so no member list is ever scanned). Safe to run twice or again after a crash."""
    ledger, program = services.ledger, services.settings.program
    retention = program.points.history_retention
    before = cutoff(retention, now)
    members = entries = 0
    pending = list(member_ids)
    if not pending:
        return Trimmed()
    writer = _Writer(services.settings.history_archive, now)
    lock = _archive_lock(services)
    if not lock.acquire():  # waits for a purge (or another sweep's trim) to finish
        writer.close()
        raise StoreError("the history archive stayed locked; the next sweep archives")
    held = _Held(lock)
    try:
        while pending:
            drops: list[tuple[str, int, int]] = []
            again: list[str] = []
            for member_id in pending:
                held.renew()
                base, head = ledger.history_head(member_id, HEAD)
                times = [json.loads(raw)["t"] for raw in head]
                old = next((i for i, at in enumerate(times) if at >= before), len(times))
                if old:
                    for offset, raw in enumerate(head[:old]):
                        writer.write(member_id, base + offset, raw)
                    drops.append((member_id, base, old))
                    if old == len(head):
                        again.append(member_id)  # more may be old beyond this page
                if old < len(head):
                    mark = max(_passes(retention, times[old]), now + 1)
                    ledger.mark_due(member_id, mark)
            writer.sync()  # on disk before Redis lets go of them
            for member_id, base, count in drops:
                if ledger.drop_history(member_id, base, count):
                    entries += count
            members += len({member_id for member_id, _, _ in drops})
            pending = again
    finally:
        writer.close()
        _release(lock)
    return Trimmed(members, entries)


def _archive_lock(services: Services, wait: float | None = ARCHIVE_WAIT_SECONDS) -> Lock:
    return services.store.redis.lock(
        keys.archive_lock(), timeout=ARCHIVE_LOCK_SECONDS, blocking_timeout=wait
    )


class _Held:
    """The archive lock while its holder works: renewed to its full time every
    ``RENEW_EVERY`` seconds; lost (another process took it after it ran out), the work stops
    with StoreError and is done again by the next sweep."""

    def __init__(self, lock: Lock) -> None:
        self.lock = lock
        self.renewed = time.monotonic()

    def renew(self) -> None:
        if time.monotonic() - self.renewed < RENEW_EVERY:
            return
        try:
            self.lock.reacquire()
        except LockError:
            raise StoreError("the history archive lock ran out; the next sweep goes on") from None
        self.renewed = time.monotonic()


def purge_deleted(services: Services) -> int:
    """Remove the archived lines of members deleted since the last purge (``member delete``,
    leaving from the chat) from every archive file; returns how many lines went.

    Each file is rewritten beside itself, fsynced and renamed over the old one, so a crash
    leaves either file whole; the deleted ids are forgotten only after every file was done,
    so a rerun finishes the job."""
    redis = services.store.redis
    deleted = redis.smembers(keys.archive_forget())
    if not deleted:
        return 0
    lock = _archive_lock(services, wait=0)
    if not lock.acquire():
        return 0  # a trim is appending: the next sweep purges
    held = _Held(lock)
    try:
        removed = 0
        for path in sorted(services.settings.history_archive.glob("history-*.jsonl")):
            removed += _rewrite_without(path, deleted, held.renew)
        redis.srem(keys.archive_forget(), *deleted)
    finally:
        _release(lock)
    return removed


def _release(lock: Lock) -> None:
    # A lock that outlived its time is left to whoever holds the key now.
    with contextlib.suppress(LockError):
        lock.release()


def _rewrite_without(path: Path, deleted: set[str], renew: Callable[[], None]) -> int:
    kept = path.with_name(path.name + ".purge")
    removed = 0
    with path.open(encoding="utf-8") as lines, kept.open("w", encoding="utf-8") as out:
        for number, line in enumerate(lines):
            if number % 10_000 == 0:
                renew()
            try:
                member_id = json.loads(line)["m"]
            except (ValueError, KeyError, TypeError):
                member_id = None  # a line a crash cut short: nothing to read back anyway
            if member_id in deleted:
                removed += 1
            elif member_id is not None:
                out.write(line if line.endswith("\n") else line + "\n")
        out.flush()
        os.fsync(out.fileno())
    if removed:
        os.replace(kept, path)
    else:
        kept.unlink()
    return removed


def _passes(retention: Duration, at: int) -> int:
    """When an entry made at ``at`` becomes older than ``retention``: a second after the
    cutoff reaches it."""
    moment = datetime.fromtimestamp(at, UTC)
    return int(retention.after(moment).timestamp()) + 1


def archived_entries(services: Services, since: int) -> Iterator[tuple[str, str, dict]]:
    """(member id, member number, entry) of archived entries made at or after ``since``,
    oldest month first; entries of deleted members and duplicates (a crash re-archived them)
    are left out."""
    folder = services.settings.history_archive
    first = archive_file(folder, since).name
    files = sorted(p for p in folder.glob("history-*.jsonl") if p.name >= first)
    known: dict[str, tuple[str | None, int]] = {}  # member id -> (number, h0)
    last: dict[str, int] = {}  # member id -> the highest entry id given so far
    for path in files:
        with path.open(encoding="utf-8") as lines:
            batch: list[dict] = []
            for line in lines:
                try:
                    item = json.loads(line)
                except ValueError:
                    continue  # a line a crash cut short: archived again whole after it
                if item["e"]["t"] >= since:
                    batch.append(item)
                if len(batch) >= BATCH:
                    yield from _resolve(services, batch, known, last)
                    batch = []
            yield from _resolve(services, batch, known, last)


def _resolve(
    services: Services,
    batch: list[dict],
    known: dict[str, tuple[str | None, int]],
    last: dict[str, int],
) -> Iterator[tuple[str, str, dict]]:
    wanted = sorted({item["m"] for item in batch} - known.keys())
    if wanted:
        with services.store.redis.pipeline(transaction=False) as pipe:
            for member_id in wanted:
                pipe.hmget(keys.member(member_id), "number", "h0")
            for member_id, (number, base) in zip(wanted, pipe.execute(), strict=True):
                known[member_id] = (number, int(base or 0))
    for item in batch:
        member_id, entry_id = item["m"], int(item["id"])
        number, base = known[member_id]
        if number is None or entry_id >= base or entry_id <= last.get(member_id, -1):
            continue  # deleted; still in Redis (the drop did not happen); already given
        last[member_id] = entry_id
        yield member_id, number, item["e"]
