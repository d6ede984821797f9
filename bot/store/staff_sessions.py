"""Staff conversation state in Redis: survives worker restarts, expires on its own."""

from __future__ import annotations

import json
from typing import Any

import redis

from bot.store import keys

#: How long a half-finished scan / amount / confirm conversation is kept, in seconds.
SESSION_TTL = 10 * 60
#: How long a grant can be undone, in seconds.
UNDO_WINDOW = 5 * 60
#: How long a store's day of grants is kept, in seconds.
DAY_TTL = 3 * 86400


class StaffSessions:
    """Per-staff state: the current conversation step and the last grant; each store's grants
    of the day."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def get(self, staff_id: str) -> dict[str, Any] | None:
        """The conversation state, or None when there is none (or it expired)."""
        raw = self.redis.get(keys.staff_session(staff_id))
        return json.loads(raw) if raw else None

    def put(self, staff_id: str, state: dict[str, Any]) -> None:
        """Replace the conversation state; it expires after SESSION_TTL."""
        self.redis.set(keys.staff_session(staff_id), json.dumps(state), ex=SESSION_TTL)

    def clear(self, staff_id: str) -> None:
        """End the conversation."""
        self.redis.delete(keys.staff_session(staff_id))

    def record_grant(self, staff_id: str, store_id: str, grant: dict[str, Any]) -> bool:
        """Count a grant in its store's day (``grant["day"]``) once per transaction id, and
        only then remember it for undo (UNDO_WINDOW); True when this call counted it. A replay
        (a double tap, concurrent confirms) counts nothing, and cannot reopen an undo."""
        day_key = keys.store_grants(store_id, grant["day"])
        entry = {**grant, "staff": staff_id}
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(day_key, grant["txn"], json.dumps(entry))
            pipe.expire(day_key, DAY_TTL)
            counted = bool(pipe.execute()[0])
        if counted:
            self.redis.set(keys.staff_last_grant(staff_id), json.dumps(entry), ex=UNDO_WINDOW)
        return counted

    def mark_undone(self, store_id: str, day: str, transaction_id: str) -> None:
        """Leave an undone grant out of its day's totals (it stays listed, marked undone)."""
        day_key = keys.store_grants(store_id, day)
        raw = self.redis.hget(day_key, transaction_id)
        if raw:
            self.redis.hset(day_key, transaction_id, json.dumps({**json.loads(raw), "undone": 1}))

    def store_day(self, store_id: str, day: str) -> list[dict[str, Any]]:
        """The grants staff made at a store on one local day (undone ones marked), by time."""
        found = [json.loads(raw) for raw in self.redis.hvals(keys.store_grants(store_id, day))]
        return sorted(found, key=lambda grant: grant.get("at", 0))

    def claim_answer(self, transaction_id: str, event_id: str) -> bool:
        """Whether the input ``event_id`` answers the confirm of ``transaction_id``: the first
        to ask does (and asks again when its event is handled again after a failure); any
        other tap of the same button does not."""
        key = keys.staff_answered(transaction_id)
        if self.redis.set(key, event_id, nx=True, ex=SESSION_TTL):
            return True
        return self.redis.get(key) == event_id

    def record_last(self, staff_id: str, record: dict[str, Any]) -> None:
        """Remember a step that is not a grant (a ticket used) for undo only (UNDO_WINDOW)."""
        self.redis.set(keys.staff_last_grant(staff_id), json.dumps(record), ex=UNDO_WINDOW)

    def last_grant(self, staff_id: str) -> dict[str, Any] | None:
        """The last grant while it can be undone, else None."""
        raw = self.redis.get(keys.staff_last_grant(staff_id))
        return json.loads(raw) if raw else None

    def forget_last_grant(self, staff_id: str) -> bool:
        """Close the undo window at once; True if a grant was still open (undo it only then)."""
        return bool(self.redis.delete(keys.staff_last_grant(staff_id)))
