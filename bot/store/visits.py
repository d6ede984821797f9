"""Check-ins in Redis: one script on the member's keys (check_in.lua), and the beacon
registry (a hash of hardware ids, small: one entry per store entrance)."""

from __future__ import annotations

from bot.domain.records import Outcome, VisitOutcome
from bot.store import keys
from bot.store.ledger import Ledger
from bot.store.scripts import script

#: A check-in at another store within this many seconds of the last one is refused.
ELSEWHERE_SECONDS = 60


class Visits:
    """Check-ins on top of a member's ledger (same keys, same replication rule)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.redis = ledger.redis
        self._check_in = script(self.redis, "check_in")

    def check_in(
        self,
        *,
        member_id: str,
        now: int,
        store_id: str,
        day: str,
        month: str,
        cap: int,
        points: int,
        via: str,
    ) -> VisitOutcome:
        """Check the member in at ``store_id`` once for the local ``day``."""
        expires = self.ledger.lot_expiry(now)
        if points > 0:
            # Before the script: a crash after it can never leave the lot out of the index.
            self.ledger.mark_due(member_id, expires)
        shard = keys.shard(member_id)
        status, balance, granted, total, month_count = self._check_in(
            keys=[
                *keys.member_ledger(member_id),
                keys.member_visits(member_id),
                keys.due_index(shard),
                keys.active_index(shard),
                keys.store_active_index(store_id, shard),
                keys.store_stats_day(store_id, day, shard),
                self.ledger.stats_key(now, member_id),
            ],
            args=self.ledger.script_args(
                now,
                keys.visit_op(store_id, day),
                store_id,
                day,
                month,
                cap,
                points,
                expires,
                next(iter(self.ledger.due_entries(member_id, expires))),
                via,
                ELSEWHERE_SECONDS,
                member_id,
            ),
        )
        outcome = VisitOutcome(
            Outcome(_str(status)), int(balance), int(granted), int(total), int(month_count)
        )
        if outcome.status is Outcome.APPLIED:
            self.ledger.replicated(member_id)
        return outcome

    def total(self, member_id: str) -> int:
        """How many times the member has checked in."""
        return int(self.redis.hget(keys.member_visits(member_id), "total") or 0)

    # -- beacons ---------------------------------------------------------------------------

    def add_beacon(self, hwid: str, store_id: str) -> str | None:
        """Register a beacon at a store's entrance; the store it was at before, if any."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.beacons(), hwid)
            pipe.hset(keys.beacons(), hwid, store_id)
            before, _ = pipe.execute()
        return before

    def remove_beacon(self, hwid: str) -> bool:
        """Forget a beacon; False if it was not registered."""
        return bool(self.redis.hdel(keys.beacons(), hwid))

    def beacon_store(self, hwid: str) -> str | None:
        """The store a beacon is registered at, or None."""
        return self.redis.hget(keys.beacons(), hwid)

    def beacons(self) -> dict[str, str]:
        """Every registered beacon and its store."""
        return self.redis.hgetall(keys.beacons())


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
