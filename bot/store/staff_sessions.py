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
#: How long a day's grant list is kept, in seconds.
DAY_TTL = 3 * 86400


class StaffSessions:
    """Per-staff state: the current conversation step, the last grant, today's grants."""

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

    def record_grant(self, staff_id: str, day: str, grant: dict[str, Any]) -> None:
        """Remember a grant for undo (UNDO_WINDOW) and for the day's list."""
        encoded = json.dumps(grant)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(keys.staff_last_grant(staff_id), encoded, ex=UNDO_WINDOW)
        pipe.rpush(keys.staff_day(staff_id, day), encoded)
        pipe.expire(keys.staff_day(staff_id, day), DAY_TTL)
        pipe.execute()

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

    def day(self, staff_id: str, day: str) -> list[dict[str, Any]]:
        """The grants of one local day, oldest first."""
        return [json.loads(raw) for raw in self.redis.lrange(keys.staff_day(staff_id, day), 0, -1)]
