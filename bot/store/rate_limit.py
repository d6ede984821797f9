"""Store API keys at the door: which store a key belongs to and how much it was used this
minute, in one round trip. Limits are per key (a rotated key starts afresh) in fixed
one-minute windows shared by all workers."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import redis

from bot.store import keys

#: Seconds a window's counter is kept (a little over the window itself).
WINDOW_TTL = 120


@dataclass(frozen=True)
class KeyUse:
    """One request's view of its API key."""

    #: The store the key belongs to; None for an unknown or revoked key.
    store_id: str | None
    key_hash: str
    #: Requests with this key this minute, this one included.
    requests: int
    #: Unknown, forged or stale card codes this key sent in the last 60 seconds (a sliding
    #: window: the last minute's count weighted by how much of it is still inside).
    card_failures: int


def hash_key(api_key: str) -> str:
    """The SHA-256 under which a key is stored (keys carry 256 random bits: no salt needed)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def _window() -> int:
    return int(time.time() // 60)


def sliding(current: object, previous: object, now: float) -> int:
    """Events in the 60 seconds up to ``now`` from two fixed-minute counters, assuming the
    previous minute's were spread evenly: no burst fits in across a minute boundary."""
    inside = 1 - (now % 60) / 60
    return int(int(current or 0) + int(previous or 0) * inside)


class KeyCheck:
    """One request's key check in parts, so that a POS sale can put them in the pipelines it
    sends anyway: ``read`` in its first (reads only), ``count`` in its first write."""

    def __init__(self, api_key: str, now: float | None = None) -> None:
        self.key_hash = hash_key(api_key)
        self._now = time.time() if now is None else now
        self._minute = _window() if now is None else int(now // 60)
        self._requests = keys.api_rate(self.key_hash, self._minute)
        #: Whether ``count`` was queued (a refused sale may not have got that far).
        self.counted = False

    def read_keys(self) -> list[str]:
        """What to read: the key's store, this minute's requests, and card failures of this
        minute and the one before (four values)."""
        return [
            keys.api_key(self.key_hash),
            self._requests,
            keys.card_failures(self.key_hash, self._minute),
            keys.card_failures(self.key_hash, self._minute - 1),
        ]

    def settle(self, replies: list) -> KeyUse:
        """What the four values of ``read_keys`` say, counting this request."""
        store_id, count, failures, before = replies
        return KeyUse(
            store_id, self.key_hash, int(count or 0) + 1, sliding(failures, before, self._now)
        )

    def counter(self) -> tuple[str, int]:
        """This request's counter key and its TTL, for a script to count it (marks it counted)."""
        self.counted = True
        return self._requests, WINDOW_TTL

    def count(self, pipe: redis.client.Pipeline) -> None:
        """Queue counting this request against the key (two replies)."""
        self.counted = True
        pipe.incr(self._requests)
        pipe.expire(self._requests, WINDOW_TTL)


def use_key(client: redis.Redis, api_key: str | KeyCheck) -> KeyUse:
    """Look the key up and count this request against it, in one round trip."""
    check = api_key if isinstance(api_key, KeyCheck) else KeyCheck(api_key)
    with client.pipeline(transaction=False) as pipe:
        for key in check.read_keys():
            pipe.get(key)
        check.count(pipe)
        replies = pipe.execute()
    use = check.settle(replies[:4])
    if use.store_id is None:
        # Counters are for keys that work: a stream of made-up keys must not fill Redis.
        client.delete(keys.api_rate(check.key_hash, _window()))
    return KeyUse(use.store_id, use.key_hash, int(replies[4]), use.card_failures)


def count_card_failure(client: redis.Redis, key_hash: str, check: KeyCheck | None = None) -> None:
    """Count a card code the key sent that was unknown, forged or stale (and the request
    itself, if ``check`` did not count it yet)."""
    key = keys.card_failures(key_hash, _window())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_TTL)
        if check is not None and not check.counted:
            check.count(pipe)
        pipe.execute()
