"""Webhook event dedupe at handling time: each ``webhookEventId`` has effect once.

The webhook queues every signed, recent event without asking Redis whether it was seen (one
round trip per body). The job that handles an event first takes its id with ``SET NX``, naming
itself as the owner, and marks it done once handled. So a redelivery, a body queued twice
because an answer was lost, or a second job holding the same event finds the id taken and
skips it; and the same job, retried by RQ after some of its events failed, handles again only
the events it had not finished.
"""

from __future__ import annotations

import redis

from bot.store import keys

#: How long an event id is remembered, in seconds. The webhook refuses events older than 24 h
#: and the worker events older than this, so no copy of an event can outlive its record.
DEDUPE_TTL = 48 * 3600
#: The value of an event id whose handling finished.
DONE = "done"


class EventInbox:
    """Takes and finishes webhook event ids on behalf of the job handling them."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def take(self, event_id: str, owner: str) -> bool:
        """True if job ``owner`` should handle the event now: nobody had taken it, or this same
        job took it on an earlier attempt and did not finish."""
        key = keys.webhook_event(event_id)
        if self.redis.set(key, owner, nx=True, ex=DEDUPE_TTL):
            return True
        return self.redis.get(key) == owner

    def finish(self, event_id: str) -> None:
        """Remember that the event was handled, for the dedupe window."""
        self.redis.set(keys.webhook_event(event_id), DONE, ex=DEDUPE_TTL)
