"""The points ledger in Redis: lots, FIFO by expiry, append-only history, idempotent steps.

Each operation is one Lua script on one member's keys, guarded by its idempotency key inside
the script, and writes the indexes and figures of the member's shard in the same step
(bot/store/keys.py). On a single Redis a purchase binds the store's transaction id in that
step too; on a Redis Cluster the binding is in the store's slot, claimed just before the step
(``_bind``). Times are unix seconds passed in by the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from bot.domain.points import earned_by_tier
from bot.domain.program import Program
from bot.domain.purchase import RECORD_WINDOW
from bot.domain.records import (
    Entry,
    Lot,
    Outcome,
    PurchaseOutcome,
    PushIntent,
    RefundOutcome,
    Standing,
)
from bot.store import keys
from bot.store.outbox import index_entry, open_job_json
from bot.store.scripts import script

#: How many history entries one page holds.
HISTORY_PAGE = 10
#: How long a purchase's and a refund's idempotency records are kept (s): 90 days
#: (bot/domain/purchase.py RECORD_WINDOW). Longer than any till retry (seconds to days: an
#: offline till uploads within days) and than a store's return period, since a refund at the
#: till needs the sale's record. A sale's transaction binding is kept a day longer, so a retry
#: between the two is refused (409), never granted again.
RECORD_TTL = int(RECORD_WINDOW.total_seconds())
#: How much longer a transaction binding is kept than the sale's record (s).
BINDING_MARGIN = 86400
#: Outcomes that stand for a write (now or earlier): with REDIS_WAIT_REPLICAS, only once the
#: replicas have it.
_WRITTEN = frozenset({Outcome.APPLIED, Outcome.REPLAYED})


@dataclass(frozen=True)
class CodeClaim:
    """A rotating card code a purchase takes: its (step, counter), who claims it, for how long."""

    step_counter: tuple[int, int]
    claim: str
    ttl: int


class NotReplicated(redis.ConnectionError):
    """A ledger write that fewer replicas than REDIS_WAIT_REPLICAS confirmed in time: answered
    like Redis being unreachable (503, retry with the same body), since a failover now could
    lose it. The retry replays the write and waits again."""


class Ledger:
    """Ledger operations for one program (earn rule, ranks, lifetime). With ``wait`` (replicas,
    ms), every write returns only once that many replicas have it (Redis ``WAIT``)."""

    def __init__(
        self, client: redis.Redis, program: Program, wait: tuple[int, int] | None = None
    ) -> None:
        self.redis = client
        self.program = program
        self.wait = wait
        self._purchase = script(client, "purchase")
        self._refund = script(client, "refund")
        self._adjust = script(client, "adjust")
        self._maintain = script(client, "maintain")
        self._trim = script(client, "history_trim")
        self._release = script(client, "release")
        self._claim = script(client, "claim")
        self.record_ttl = RECORD_TTL
        self._last_expiry = (-1, 0)
        self._last_day = (-1, "")
        ranks = program.ranks
        self._common = [
            ranks.window.approx_seconds(),
            ";".join(str(t.threshold) for t in ranks.tiers),
        ]

    def script_args(self, now: int, *rest: object) -> list[object]:
        """ARGV of a ledger script: now, the rank window and thresholds, then ``rest``."""
        return [now, *self._common, *rest]

    def local_day(self, now: int) -> str:
        """The program's local day of ``now`` (YYYY-MM-DD): the day figures are counted on."""
        minute, day = self._last_day
        if minute == now // 60:  # zones are whole minutes apart: a minute is on one day
            return day
        local = datetime.fromtimestamp(now, UTC).astimezone(self.program.timezone)
        self._last_day = (now // 60, local.date().isoformat())
        return self._last_day[1]

    def stats_key(self, now: int, member_id: str) -> str:
        """The figures hash of ``now``'s local day (in the member's shard): every ledger
        script's last key."""
        return keys.stats_day(self.local_day(now), keys.shard(member_id))

    def keys_for(self, member_id: str, now: int) -> list[str]:
        """The ledger keys and the day's figures: what refund, adjust and maintain take."""
        return [*keys.member_ledger(member_id), self.stats_key(now, member_id)]

    def replicated(self, member_id: str, *claims: tuple[str, str | None, int]) -> None:
        """Wait until ``wait`` replicas have every write so far; raise NotReplicated if not.

        Redis ``WAIT`` covers the writes of the connection it is sent on, and a pool may have
        sent the operation's writes on others: a write of its own, on the same connection and
        after them, carries the replication offset past all of them (a replay too, whose
        first write may not have reached the replicas).

        ``claims`` (on a Redis Cluster): (key, value, TTL s; 0: none) of what the step
        claimed in other slots before it ran. Each is set again if gone (a concurrent refused
        attempt of the same body may have released it after this step applied; value None:
        a counter, not set again) and waited for on its own primary, so a failover there
        cannot lose it either."""
        for key, value, ttl in claims:
            client = self.redis.get_node_from_key(key).redis_connection
            with client.pipeline(transaction=False) as pipe:
                if value is not None:
                    pipe.set(key, value, nx=True, ex=ttl or None)
                if self.wait is not None:
                    pipe.set(f"{key}:w", 1, px=max(self.wait[1] * 2, 1000))
                    pipe.wait(*self.wait)
                answers = pipe.execute()
            if self.wait is not None:
                _confirmed(int(answers[-1]), self.wait)
        if self.wait is None:
            return
        replicas, ms = self.wait
        client = self.redis
        if keys.cluster():
            # The primary of the member's slot, on one connection of its own pool.
            client = client.get_node_from_key(keys.member(member_id)).redis_connection
        with client.pipeline(transaction=False) as pipe:
            pipe.set(keys.replication_mark(member_id), 1, px=max(ms * 2, 1000))
            pipe.wait(replicas, ms)
            _, confirmed = pipe.execute()
        _confirmed(int(confirmed), self.wait)

    def lot_expiry(self, now: int) -> int:
        """When a lot granted at ``now`` expires (unix s)."""
        last = self._last_expiry
        if last[0] == now:
            return last[1]  # a sale asks twice in a row (its indexes, then its step)
        earned = datetime.fromtimestamp(now, UTC)
        expires = int(self.program.points.expiry_for(earned, self.program.timezone).timestamp())
        self._last_expiry = (now, expires)
        return expires

    @staticmethod
    def due_entries(member_id: str, *times: int) -> dict[str, int]:
        """The due-index members (``<member id>|<time>``) and scores for these expiry times."""
        return {f"{member_id}|{t}": t for t in times}

    def _mark_due(self, member_id: str, *times: int) -> None:
        """Index the member under each time a lot of theirs expires.

        Rank windows need no entry: ranks are derived from the window spend, which every
        read ages first (``maintain``)."""
        # Before the script: a crash after it can then never leave a lot out of the index.
        if not times:
            return
        index = keys.due_index(keys.shard(member_id))
        self.redis.zadd(index, self.due_entries(member_id, *times), nx=True)

    def purchase(
        self,
        *,
        member_id: str,
        now: int,
        op_key: str,
        fingerprint: str,
        amount: int,
        points_used: int,
        store_id: str,
        transaction_id: str,
        code: CodeClaim | None = None,
        receipt: PushIntent | None = None,
        replay_only: bool = False,
        counter: tuple[str, int] | None = None,
        occurred_at: int | None = None,
    ) -> PurchaseOutcome:
        """Redeem ``points_used`` and earn on ``amount`` once per ``op_key`` (the transaction id
        of ``store_id``), all in one step: bind the id to this member and body (CONFLICT if it is
        bound to another), claim ``code``, index the new lot's expiry, and write ``receipt`` to
        the member's outbox and its index (if the purchase is applied now and the member
        follows the account). ``replay_only``: give back an earlier application of ``op_key``,
        apply nothing (status UNVERIFIED). ``counter``: a request counter key and its TTL, to
        count this request in the same step. ``occurred_at`` (unix s): when the till says the
        sale happened, which the history shows."""
        expires = self.lot_expiry(now)
        ledger_keys = keys.member_ledger(member_id)
        shard = keys.shard(member_id)
        binding_key = keys.store_transaction(store_id, transaction_id)
        binding = f"{member_id} {fingerprint}"
        bound_outside = ""
        if keys.cluster():
            if counter is not None:  # counted in its own slot, a conflict too
                with self.redis.pipeline(transaction=False) as pipe:
                    pipe.incr(counter[0])
                    pipe.expire(counter[0], counter[1])
                    pipe.execute()
                counter = None
            # The binding is in the store's slot, the step in the member's: claim it first.
            bound_outside = self._bind(binding_key, binding)
            if bound_outside == "conflict":
                return _conflict()
            binding_key = keys.operation_record(member_id, "-")  # in the slot; not read
        earned = earned_by_tier(self.program.earn, self.program.ranks, amount, points_used)
        use_key = (
            keys.code_use(member_id, *code.step_counter) if code else keys.code_use(member_id, 0, 0)
        )
        counter_key, counter_ttl = counter or (keys.member(member_id) + ":-", 0)
        result = self._purchase(
            keys=[
                *ledger_keys,
                use_key,
                keys.outbox(member_id),
                binding_key,
                keys.due_index(shard),
                keys.outbox_index(shard),
                counter_key,
                keys.active_index(shard),
                keys.store_active_index(store_id, shard),
                keys.store_stats_day(store_id, self.local_day(now), shard),
                keys.operation_record(member_id, op_key),
                self.stats_key(now, member_id),  # the day's figures: always the last key
            ],
            args=self.script_args(
                now,
                op_key,
                fingerprint,
                amount,
                points_used,
                ";".join(map(str, earned)),
                expires,
                store_id,
                transaction_id,
                code.claim if code else "",
                code.ttl if code else 0,
                receipt.retry_key if receipt else "",
                open_job_json(receipt) if receipt else "",
                int(replay_only),
                binding,
                counter_ttl,
                next(iter(self.due_entries(member_id, expires))),
                index_entry(member_id, receipt.retry_key) if receipt else "",
                member_id,
                "" if occurred_at is None else occurred_at,
                self.record_ttl,
                bound_outside,
            ),
        )
        status, balance, points, used, spend, number, active, written = result
        if _str(status) in _WRITTEN:
            claims = []
            if bound_outside:
                store_key = keys.store_transaction(store_id, transaction_id)
                claims.append((store_key, binding, self.record_ttl + BINDING_MARGIN))
            self.replicated(member_id, *claims)
        elif bound_outside == "new":
            self._unbind(
                keys.store_transaction(store_id, transaction_id), binding, member_id, op_key
            )
        return PurchaseOutcome(
            status=Outcome(_str(status)),
            balance=int(balance),
            points_earned=int(points),
            points_used=int(used),
            spend=int(spend),
            member_number=_str(number),
            active=bool(int(active)),
            receipt_written=bool(int(written)),
        )

    def _bind(self, key: str, binding: str) -> str:
        """On a Redis Cluster: claim a store's transaction id for ``binding`` before the step.
        ``conflict`` if it is bound to another; ``new`` if this call bound it; else the
        seconds the earlier binding has left (the step tells a binding whose record expired,
        'forgotten', from one whose step never applied)."""
        held = self._claim(keys=[key], args=[binding, self.record_ttl + BINDING_MARGIN])
        if not held:
            return "new"
        if _str(held[0]) != binding:
            return "conflict"
        return str(max(int(held[1]), -1))

    def _unbind(self, key: str, binding: str, member_id: str, op_key: str) -> None:
        """Release a binding ``_bind`` made for a step that did not apply: nothing stays bound
        unless a purchase is applied, as on a single Redis. Bound again if a concurrent retry
        of the same body applied the purchase meanwhile."""
        self._release(keys=[key], args=[binding])
        if self.redis.exists(keys.operation_record(member_id, op_key)):
            self.redis.set(key, binding, nx=True, ex=self.record_ttl + BINDING_MARGIN)

    def refund(
        self,
        *,
        member_id: str,
        now: int,
        op_key: str,
        purchase_key: str,
        store_id: str,
        ref: str,
        notice: PushIntent | None = None,
    ) -> RefundOutcome:
        """Reverse a purchase once per ``op_key``; ``notice`` goes to the member's outbox in
        the same step if the refund changed their points (the script adds the points)."""
        result = self._refund(
            keys=[
                *keys.member_ledger(member_id),
                keys.store_stats_day(store_id, self.local_day(now), keys.shard(member_id)),
                keys.outbox(member_id),
                keys.outbox_index(keys.shard(member_id)),
                keys.operation_record(member_id, purchase_key),
                keys.operation_record(member_id, op_key),
                self.stats_key(now, member_id),  # the day's figures: always the last key
            ],
            args=self.script_args(
                now,
                op_key,
                purchase_key,
                store_id,
                ref,
                *_notice_args(member_id, notice),
                self.record_ttl,
            ),
        )
        outcome = RefundOutcome(Outcome(_str(result[0])), *(int(v) for v in result[1:]))
        if outcome.status is Outcome.APPLIED and outcome.restored:
            # Restored lots keep their old expiry, whose index entry may already be gone.
            self._mark_due(member_id, *(lot.expires_at for lot in self.lots(member_id)))
        if outcome.status in _WRITTEN:
            self.replicated(member_id)
        return outcome

    def adjust(
        self,
        *,
        member_id: str,
        now: int,
        op_key: str,
        amount: int,
        reason: str,
        notice: PushIntent | None = None,
    ) -> tuple[Outcome, int]:
        """Add (positive) or remove (negative) points once per ``op_key``; never below zero.
        ``notice`` goes to the member's outbox in the same step (the script adds the points)."""
        expires = self.lot_expiry(now)
        if amount > 0:
            self._mark_due(member_id, expires)
        fingerprint = json.dumps([amount, reason], ensure_ascii=False)
        status, balance = self._adjust(
            keys=[
                *keys.member_ledger(member_id),
                keys.outbox(member_id),
                keys.outbox_index(keys.shard(member_id)),
                self.stats_key(now, member_id),  # the day's figures: always the last key
            ],
            args=self.script_args(
                now, op_key, fingerprint, amount, expires, reason, *_notice_args(member_id, notice)
            ),
        )
        if _str(status) in _WRITTEN:
            self.replicated(member_id)
        return Outcome(_str(status)), int(balance)

    def maintain(self, member_id: str, now: int) -> Standing | None:
        """Expire due lots and age the rank window; None if there is no such member."""
        found, balance, spend = self._maintain(
            keys=self.keys_for(member_id, now), args=self.script_args(now)
        )
        return Standing(int(balance), int(spend)) if found else None

    def operation(self, member_id: str, op_key: str) -> dict | None:
        """What an applied operation recorded (its idempotency record), or None (never
        applied, or its record expired)."""
        raw = self.redis.get(keys.operation_record(member_id, op_key))
        if raw is None:  # recorded before records had keys of their own
            raw = self.redis.hget(keys.member_ledger(member_id).ops, op_key)
        return json.loads(raw) if raw else None

    def lots(self, member_id: str) -> list[Lot]:
        """The member's live lots, the one expiring first first (as stored; call maintain first)."""
        ledger_keys = keys.member_ledger(member_id)
        lots_key, data_key = ledger_keys.lots, ledger_keys.lot_data
        ids = self.redis.zrange(lots_key, 0, -1)
        if not ids:
            return []
        lots = []
        for lot_id, raw in zip(ids, self.redis.hmget(data_key, ids), strict=True):
            remaining, amount, earned, expires, source, ref = _str(raw).split("|", 5)
            lots.append(
                Lot(
                    _str(lot_id),
                    int(remaining),
                    int(amount),
                    int(earned),
                    int(expires),
                    source,
                    ref,
                )
            )
        return lots

    def history(
        self, member_id: str, before: str | None = None, count: int = HISTORY_PAGE
    ) -> list[Entry]:
        """History entries, newest first; ``before`` (an entry id) pages to older ones."""
        if before is not None and not before.isdigit():
            return []
        upto = int(before) if before else None  # ids below this one
        while True:
            base, length = self._history_span(member_id)
            end = (base + length if upto is None else min(upto, base + length)) - 1
            start = max(end - count + 1, base)
            if end < start:
                return []
            found = self._read_history(member_id, base, start, end)
            if found is not None:
                return found[::-1]

    def entries_from(self, member_id: str, start: int) -> list[Entry]:
        """History entries from entry id ``start`` (negative: that many from the end), oldest
        first; entries already archived are not in Redis and are left out."""
        while True:
            base, length = self._history_span(member_id)
            first = max(start if start >= 0 else base + length + start, base)
            if first > base + length - 1:
                return []
            found = self._read_history(member_id, base, first, base + length - 1)
            if found is not None:
                return found

    def _history_span(self, member_id: str) -> tuple[int, int]:
        """The id of the member's oldest history entry in Redis (``h0``) and how many there are."""
        ledger_keys = keys.member_ledger(member_id)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(ledger_keys.member, "h0")
            pipe.llen(ledger_keys.history)
            base, length = pipe.execute()
        return int(base or 0), int(length)

    def _read_history(self, member_id: str, base: int, first: int, last: int) -> list[Entry] | None:
        """Entries with ids ``first..last`` read as of ``base``; None if the sweep archived
        entries in between (ids are list positions from ``base``: read again)."""
        ledger_keys = keys.member_ledger(member_id)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(ledger_keys.member, "h0")
            pipe.lrange(ledger_keys.history, first - base, last - base)
            now_base, raw = pipe.execute()
        if int(now_base or 0) != base:
            return None
        return [_entry(first + offset, item) for offset, item in enumerate(raw)]

    def history_head(self, member_id: str, limit: int) -> tuple[int, list[str]]:
        """``h0`` and up to ``limit`` of the member's oldest history entries in Redis, as JSON
        (entry ids ``h0``, ``h0`` + 1, ...)."""
        ledger_keys = keys.member_ledger(member_id)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(ledger_keys.member, "h0")
            pipe.lrange(ledger_keys.history, 0, limit - 1)
            base, raw = pipe.execute()
        return int(base or 0), [_str(item) for item in raw]

    def drop_history(self, member_id: str, base: int, count: int) -> bool:
        """Drop the ``count`` oldest history entries (archived already), if ``h0`` is still
        ``base``; False if it moved (another sweep dropped them first)."""
        ledger_keys = keys.member_ledger(member_id)
        result = self._trim(keys=[ledger_keys.member, ledger_keys.history], args=[base, count])
        return int(result) >= 0

    def mark_due(self, member_id: str, at: int) -> None:
        """Index the member under ``at`` so the sweep visits them then (to archive history)."""
        self._mark_due(member_id, at)

    def due_between(
        self, after: int, upto: int, limit: int, offset: int = 0, shard_tag: str = ""
    ) -> list[tuple[str, int]]:
        """(member id, expiry) of one shard's due-index entries scored in ``(after, upto]``,
        in score order."""
        found = []
        for entry in self.redis.zrangebyscore(
            keys.due_index(shard_tag), f"({after}", upto, start=offset, num=limit
        ):
            member_id, _, at = _str(entry).partition("|")
            found.append((member_id, int(at)))
        return found

    def due_members(
        self, now: int, limit: int = 1000, offset: int = 0, shard_tag: str = ""
    ) -> dict[str, list[str]]:
        """Members of one shard with maintenance due by ``now`` and their index entries
        (``limit`` entries from ``offset``)."""
        due: dict[str, list[str]] = {}
        index = keys.due_index(shard_tag)
        for entry in self.redis.zrangebyscore(index, "-inf", now, start=offset, num=limit):
            text = _str(entry)
            due.setdefault(text.split("|", 1)[0], []).append(text)
        return due

    def clear_due(self, entries: list[str], shard_tag: str = "") -> None:
        """Remove processed index entries of one shard."""
        if entries:
            self.redis.zrem(keys.due_index(shard_tag), *entries)


def _confirmed(confirmed: int, wait: tuple[int, int]) -> None:
    """Raise NotReplicated if fewer replicas than asked confirmed in time."""
    replicas, ms = wait
    if confirmed < replicas:
        raise NotReplicated(f"{confirmed} of {replicas} replica(s) confirmed within {ms} ms")


def _conflict() -> PurchaseOutcome:
    """The outcome of a purchase whose transaction id is bound to another member or body."""
    return PurchaseOutcome(
        status=Outcome.CONFLICT,
        balance=0,
        points_earned=0,
        points_used=0,
        spend=0,
        member_number="",
        active=False,
        receipt_written=False,
    )


def _notice_args(member_id: str, notice: PushIntent | None) -> tuple[str, str, str]:
    """A script's notice arguments: retry key, open job JSON, outbox index entry ('' each
    for none)."""
    if notice is None:
        return "", "", ""
    entry = index_entry(member_id, notice.retry_key)
    return notice.retry_key, open_job_json(notice), entry


def _entry(index: int, item: str) -> Entry:
    data = json.loads(item)
    return Entry(
        entry_id=str(index),
        kind=data.pop("k"),
        points=int(data.pop("p")),
        balance=int(data.pop("b")),
        at=int(data.pop("t")),
        fields={k: str(v) for k, v in data.items()},
    )


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
