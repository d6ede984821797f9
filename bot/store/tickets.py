"""Reward tickets in Redis: issued, used and expired each in one script on the member's keys.

A ticket is a field of the member's tickets hash (``keys.tickets``), JSON
``{r, c, st, i, x, src, cost[, u, us, ut]}``: reward key, code, state, issued and expiry times,
source, the points it cost, and when, where and under which transaction it was used. Unused
tickets are also in the ticket due index (``keys.ticket_due_index``) by expiry, which the
sweep reads for reminders and expiry. Every step is idempotent by its operation key and goes
through ``Ledger``'s replication wait.
"""

from __future__ import annotations

import json

from bot.domain.records import (
    IssueOutcome,
    Outcome,
    PushIntent,
    Ticket,
    TicketState,
    TicketUseOutcome,
)
from bot.store import keys
from bot.store.clients import mget
from bot.store.ledger import Ledger
from bot.store.outbox import index_entry, open_job_json
from bot.store.scripts import script

#: Most tickets one member may ever hold (the ticket number has four digits).
MAX_TICKETS = 9999
_WRITTEN = frozenset({Outcome.APPLIED, Outcome.REPLAYED})


class TicketBook:
    """Ticket steps on top of a member's ledger (same keys, same replication rule)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.redis = ledger.redis
        self._issue = script(self.redis, "issue_ticket")
        self._use = script(self.redis, "use_ticket")
        self._expire = script(self.redis, "expire_tickets")
        self._reserve = script(self.redis, "reserve_stock")
        self._release = script(self.redis, "release")
        self._claim = script(self.redis, "claim")

    def issue(
        self,
        *,
        member_id: str,
        now: int,
        op_key: str,
        reward: str,
        cost: int,
        stock: int | None,
        expires_at: int,
        handle: str,
        secret: str,
        source: str,
        push: PushIntent | None = None,
    ) -> IssueOutcome:
        """Issue one ticket of ``reward`` once per ``op_key``, taking ``cost`` points and one of
        ``stock``; its code is ``handle`` + ticket number + ``secret``. ``push`` goes to the
        member's outbox in the same step (the script adds the ticket number).

        On a Redis Cluster the stock counter is in another slot than the member: one of the
        stock is reserved before the step and given back if the step does not issue, so stock
        never goes below zero (a crash in between leaves one unit reserved, never one too many
        issued)."""
        shard = keys.shard(member_id)
        stock_key = keys.reward_issued(reward)
        reserved = False
        if keys.cluster():
            if stock is not None:
                if not self._reserve(keys=[stock_key], args=[stock]):
                    return self.replay(member_id, op_key) or IssueOutcome(Outcome.SOLD_OUT, 0)
                reserved, stock = True, None
            stock_key = keys.member(member_id) + ":-"  # in the slot; not read without a limit
        result = self._issue(
            keys=[
                *keys.member_ledger(member_id),
                keys.tickets(member_id),
                stock_key,
                keys.ticket_due_index(shard),
                keys.outbox(member_id),
                keys.outbox_index(shard),
                self.ledger.stats_key(now, member_id),
            ],
            args=self.ledger.script_args(
                now,
                op_key,
                reward,
                cost,
                -1 if stock is None else stock,
                expires_at,
                handle,
                secret,
                source,
                push.retry_key if push else "",
                open_job_json(push) if push else "",
                index_entry(member_id, push.retry_key) if push else "",
                MAX_TICKETS,
                member_id,
            ),
        )
        status, balance, number, code, expires, written = result
        outcome = IssueOutcome(
            Outcome(_str(status)),
            int(balance),
            _str(number),
            _str(code),
            int(expires),
            bool(int(written)),
        )
        if reserved and outcome.status is not Outcome.APPLIED:
            self.redis.decr(keys.reward_issued(reward))
        if outcome.status in _WRITTEN:
            claims = [(keys.reward_issued(reward), None, 0)] if reserved else []
            self.ledger.replicated(member_id, *claims)
        return outcome

    def replay(self, member_id: str, op_key: str) -> IssueOutcome | None:
        """What the issue under ``op_key`` gave, if it was applied; None otherwise."""
        raw = self.redis.hget(keys.member_ledger(member_id).ops, op_key)
        if raw is None:
            return None
        done = json.loads(raw)
        return IssueOutcome(
            Outcome.REPLAYED, int(done["bal"]), done["no"], done["code"], int(done["x"])
        )

    def use(
        self,
        *,
        member_id: str,
        now: int,
        number: str,
        code: str,
        store_id: str,
        transaction_id: str,
    ) -> TicketUseOutcome:
        """Use ticket ``number`` (if ``code`` is its code) once per store transaction id."""
        fingerprint = code
        return self._step(
            member_id,
            now,
            store_id,
            transaction_id,
            [fingerprint, number, code, f"{member_id} {fingerprint}", "use"],
        )

    def give_back(
        self, *, member_id: str, now: int, store_id: str, transaction_id: str, used_at: int
    ) -> TicketUseOutcome:
        """Make the ticket a store's transaction used (at ``used_at``) usable again, once
        (NOT_FOUND if that transaction used no ticket of this member, or the ticket changed
        since); the use leaves the figures of the day it was counted on."""
        undo_key = "un" + keys.ticket_use_op(store_id, transaction_id)
        rest = [undo_key, "", "", "", "undo"]
        return self._step(member_id, now, store_id, transaction_id, rest, figures_at=used_at)

    def _step(
        self,
        member_id: str,
        now: int,
        store_id: str,
        transaction_id: str,
        rest: list[str],
        figures_at: int | None = None,
    ) -> TicketUseOutcome:
        fingerprint, number, code, binding, mode = rest
        day_of = now if figures_at is None else figures_at
        shard = keys.shard(member_id)
        binding_key = keys.ticket_use(store_id, transaction_id)
        bound_outside = ""
        if keys.cluster() and mode == "use":
            # The binding is in the store's slot: claimed before the step, as for a purchase.
            held = self._claim(keys=[binding_key], args=[binding, 0])
            if held and _str(held[0]) != binding:
                return TicketUseOutcome(Outcome.CONFLICT, "", "", number, 0)
            bound_outside = "kept" if held else "new"
        if keys.cluster():
            binding_key = keys.member(member_id) + ":-"  # in the slot; not read
        result = self._use(
            keys=[
                *keys.member_ledger(member_id),
                keys.tickets(member_id),
                binding_key,
                keys.ticket_due_index(shard),
                keys.store_stats_day(store_id, self.ledger.local_day(day_of), shard),
                self.ledger.stats_key(day_of, member_id),
            ],
            args=self.ledger.script_args(
                now,
                keys.ticket_use_op(store_id, transaction_id),
                fingerprint,
                number,
                code,
                store_id,
                transaction_id,
                binding,
                member_id,
                mode,
                bound_outside,
            ),
        )
        status, reward, member_number, ticket_number, expires = result
        if bound_outside == "new" and _str(status) not in _WRITTEN:
            self._release(keys=[keys.ticket_use(store_id, transaction_id)], args=[binding])
        outcome = TicketUseOutcome(
            Outcome(_str(status)),
            _str(reward),
            _str(member_number),
            _str(ticket_number),
            int(expires),
        )
        if outcome.status in _WRITTEN:
            claims = [(keys.ticket_use(store_id, transaction_id), binding, 0)]
            self.ledger.replicated(member_id, *(claims if bound_outside else []))
        return outcome

    def expire(self, member_id: str, now: int, numbers: list[str]) -> int:
        """Expire the member's tickets among ``numbers`` that are past their last moment (each
        with a history entry); returns how many."""
        return int(
            self._expire(
                keys=[
                    *keys.member_ledger(member_id),
                    keys.tickets(member_id),
                    keys.ticket_due_index(keys.shard(member_id)),
                    self.ledger.stats_key(now, member_id),
                ],
                args=self.ledger.script_args(now, member_id, *numbers),
            )
        )

    def tickets(self, member_id: str) -> list[Ticket]:
        """Every ticket of the member, the newest first."""
        raw = self.redis.hgetall(keys.tickets(member_id))
        return [_ticket(no, value) for no, value in sorted(raw.items(), reverse=True)]

    def ticket(self, member_id: str, number: str) -> Ticket | None:
        """One ticket of the member, or None."""
        raw = self.redis.hget(keys.tickets(member_id), number)
        return _ticket(number, raw) if raw else None

    def issued(self, rewards: list[str]) -> dict[str, int]:
        """How many tickets of each reward (with limited stock) were exchanged so far."""
        if not rewards:
            return {}
        counts = mget(self.redis, [keys.reward_issued(key) for key in rewards])
        return {key: int(count or 0) for key, count in zip(rewards, counts, strict=True)}

    def due_between(
        self, after: int, upto: int, limit: int, offset: int = 0, shard_tag: str = ""
    ) -> list[tuple[str, str, int]]:
        """(member id, ticket number, expiry) of one shard's due-index entries scored in
        ``(after, upto]``."""
        found = []
        index = keys.ticket_due_index(shard_tag)
        for entry, score in self.redis.zrangebyscore(
            index, f"({after}", upto, start=offset, num=limit, withscores=True
        ):
            member_id, _, number = _str(entry).partition("|")
            found.append((member_id, number, int(score)))
        return found


def _ticket(number: str | bytes, raw: str | bytes) -> Ticket:
    data = json.loads(raw)
    return Ticket(
        number=_str(number),
        reward=data["r"],
        code=data["c"],
        state=TicketState(data["st"]),
        issued_at=int(data["i"]),
        expires_at=int(data["x"]),
        source=data.get("src", "exchange"),
        used_at=int(data.get("u", 0)),
    )


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
