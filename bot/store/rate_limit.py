"""Per-key limits in Redis, shared by all workers: fixed one-minute windows."""

from __future__ import annotations

import time

import redis

from bot.store import keys

#: Seconds a window's counter is kept (a little over the window itself).
WINDOW_TTL = 120


def _window() -> int:
    return int(time.time() // 60)


def count_request(client: redis.Redis, store_id: str) -> tuple[int, int]:
    """Count one request for the store's key; returns this minute's requests and card
    failures so far, in one round trip."""
    minute = _window()
    requests = keys.api_rate(store_id, minute)
    with client.pipeline(transaction=False) as pipe:
        pipe.incr(requests)
        pipe.expire(requests, WINDOW_TTL)
        pipe.get(keys.card_failures(store_id, minute))
        count, _, failures = pipe.execute()
    return int(count), int(failures or 0)


def count_card_failure(client: redis.Redis, store_id: str) -> None:
    """Count a card code the store's key sent that was unknown, forged or stale."""
    key = keys.card_failures(store_id, _window())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_TTL)
        pipe.execute()
