"""Per-key limits in Redis, shared by all workers: fixed one-minute windows."""

from __future__ import annotations

import time

import redis

from bot.store import keys

#: Seconds a window's counter is kept (a little over the window itself).
WINDOW_TTL = 120


def _window() -> int:
    return int(time.time() // 60)


def within_rate(client: redis.Redis, store_id: str, per_minute: int) -> bool:
    """Count one request for the store's key; False once this minute's limit is passed."""
    key = keys.api_rate(store_id, _window())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_TTL)
        count, _ = pipe.execute()
    return int(count) <= per_minute


def count_card_failure(client: redis.Redis, store_id: str) -> None:
    """Count a card code the store's key sent that was unknown, forged or stale."""
    key = keys.card_failures(store_id, _window())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_TTL)
        pipe.execute()


def card_failures(client: redis.Redis, store_id: str) -> int:
    """Card failures of the store's key in this minute."""
    return int(client.get(keys.card_failures(store_id, _window())) or 0)
