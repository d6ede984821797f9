"""The staff registry: which LINE users work at which store (for the staff rich menu)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from bot.domain.records import StaffMember
from bot.domain.staff_invites import code_hash, new_code
from bot.store import keys

#: How long failed invite tries count against the user, in seconds after the last one.
INVITE_FAILURE_WINDOW = 3600


@dataclass(frozen=True)
class Invite:
    """An unused staff invite: the store it registers for, and whether it may move a member
    of another store's staff there."""

    store_id: str
    move: bool


class StaffRegistry:
    """Staff members in Redis: one hash each, plus an index set, changed in one transaction."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def store_exists(self, store_id: str) -> bool:
        """Say whether a store with this id was registered (``store add``)."""
        return bool(self._redis.exists(keys.store(store_id)))

    def add(self, line_user_id: str, store_id: str) -> bool:
        """Register (or move) a staff member; True when they were not staff before. Callers
        check ``is_staff`` first: a move to another store is said, never silent."""
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

    def create_invite(self, store_id: str, ttl: int, *, move: bool = False) -> str:
        """A new one-time invite code for a store, valid ``ttl`` seconds (only its hash is
        kept)."""
        code = new_code()
        record = json.dumps({"store": store_id, "move": move})
        self._redis.set(keys.staff_invite(code_hash(code)), record, ex=ttl, nx=True)
        return code

    def peek_invite(self, code: str) -> Invite | None:
        """The unused invite of a code, without using it; None if there is none (never made,
        used, or expired)."""
        return _invite(self._redis.get(keys.staff_invite(code_hash(code))))

    def take_invite(self, code: str) -> Invite | None:
        """Use an invite: of any number of concurrent takes of one code, one gets it."""
        return _invite(self._redis.getdel(keys.staff_invite(code_hash(code))))

    def invite_failure(self, line_user_id: str) -> int:
        """Count a wrong invite code a user sent; returns their count in the window."""
        key = keys.staff_invite_failures(keys.member_id_for(line_user_id))
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, INVITE_FAILURE_WINDOW)
            return int(pipe.execute()[0])

    def invite_failures(self, line_user_id: str) -> int:
        """How many wrong invite codes a user sent in the window."""
        found = self._redis.get(keys.staff_invite_failures(keys.member_id_for(line_user_id)))
        return int(found or 0)


def _invite(raw: str | None) -> Invite | None:
    if not raw:
        return None
    data = json.loads(raw)
    return Invite(store_id=data["store"], move=bool(data.get("move")))
