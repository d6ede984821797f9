"""A per-key request limit: a fixed one-minute window counter in Redis, shared by all workers."""

from __future__ import annotations

import time

import redis

from bot.store import keys


def within_rate(client: redis.Redis, store_id: str, per_minute: int) -> bool:
    """Count one request for the store's key; False once this minute's limit is passed."""
    minute = int(time.time() // 60)
    key = keys.api_rate(store_id, minute)
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
    return int(count) <= per_minute
