"""The staff registry: which LINE users work at which store (for the staff rich menu)."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from bot.domain.records import StaffMember
from bot.store import keys


class StaffRegistry:
    """Staff members in Redis: one hash each, plus an index set, changed in one transaction."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def store_exists(self, store_id: str) -> bool:
        """Say whether a store with this id was registered (``store add``)."""
        return bool(self._redis.exists(keys.store(store_id)))

    def add(self, line_user_id: str, store_id: str) -> bool:
        """Register (or move) a staff member; True when they were not staff before."""
        staff_id = keys.member_id_for(line_user_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(keys.staff(staff_id), mapping={"uid": line_user_id, "store": store_id})
        pipe.hsetnx(keys.staff(staff_id), "added_at", now)
        pipe.sadd(keys.staff_index(), staff_id)
        return bool(pipe.execute()[-1])

    def remove(self, line_user_id: str) -> bool:
        """Forget a staff member; True when they were staff."""
        staff_id = keys.member_id_for(line_user_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(keys.staff(staff_id))
        pipe.srem(keys.staff_index(), staff_id)
        return bool(pipe.execute()[0])

    def is_staff(self, line_user_id: str) -> str | None:
        """The store id of a staff member, or None when the user is not staff."""
        return self._redis.hget(keys.staff(keys.member_id_for(line_user_id)), "store")

    def list(self, store_id: str | None = None) -> list[StaffMember]:
        """Staff members (of one store, or all), by store and then by when they were added."""
        staff_ids = sorted(self._redis.smembers(keys.staff_index()))
        pipe = self._redis.pipeline(transaction=False)
        for staff_id in staff_ids:
            pipe.hgetall(keys.staff(staff_id))
        members = [
            StaffMember(
                line_user_id=data["uid"],
                store_id=data["store"],
                added_at=datetime.fromisoformat(data["added_at"]),
            )
            for data in pipe.execute()
            if data and (store_id is None or data["store"] == store_id)
        ]
        return sorted(members, key=lambda m: (m.store_id, m.added_at, m.line_user_id))
