"""Webhook event dedupe: accept each ``webhookEventId`` once, without losing one to a slow Redis.

An event id is first held briefly ("pending"), and remembered for the dedupe window only once
its job is queued. If the webhook fails in between (Redis slow or down, answer 503), the hold
is released, or at worst lapses after ``PENDING_TTL``, so LINE's redelivery is processed.
"""

from __future__ import annotations

import contextlib

import redis

from bot.store import keys

#: Seconds an event id is held while its job is being queued.
PENDING_TTL = 60


class EventInbox:
    """Claims, confirms and releases webhook event ids."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def claim(self, event_id: str) -> bool:
        """True if this request may queue the event (nobody has it, queued or pending)."""
        return bool(
            self.redis.set(keys.webhook_event(event_id), "pending", nx=True, ex=PENDING_TTL)
        )

    def confirm(self, event_id: str, ttl_seconds: int) -> None:
        """Remember the queued event for the dedupe window."""
        self.redis.set(keys.webhook_event(event_id), "queued", ex=ttl_seconds)

    def release(self, event_id: str) -> None:
        """Best effort: let a redelivery through now; if Redis fails, the hold lapses anyway."""
        with contextlib.suppress(redis.RedisError):
            self.redis.delete(keys.webhook_event(event_id))
