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
    #: Unknown, forged or stale card codes this key sent this minute.
    card_failures: int


def hash_key(api_key: str) -> str:
    """The SHA-256 under which a key is stored (keys carry 256 random bits: no salt needed)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def _window() -> int:
    return int(time.time() // 60)


def use_key(client: redis.Redis, api_key: str) -> KeyUse:
    """Look the key up and count this request against it, in one round trip."""
    key_hash, minute = hash_key(api_key), _window()
    requests = keys.api_rate(key_hash, minute)
    with client.pipeline(transaction=False) as pipe:
        pipe.get(keys.api_key(key_hash))
        pipe.incr(requests)
        pipe.expire(requests, WINDOW_TTL)
        pipe.get(keys.card_failures(key_hash, minute))
        store_id, count, _, failures = pipe.execute()
    if store_id is None:
        # Counters are for keys that work: a stream of made-up keys must not fill Redis.
        client.delete(requests)
    return KeyUse(store_id, key_hash, int(count), int(failures or 0))


def count_card_failure(client: redis.Redis, key_hash: str) -> None:
    """Count a card code the key sent that was unknown, forged or stale."""
    key = keys.card_failures(key_hash, _window())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_TTL)
        pipe.execute()
