"""Putting work on the RQ queue: the only place that knows job names and retry policies."""

from __future__ import annotations

import uuid

from rq import Queue, Retry

from bot.services import Services

QUEUE_NAME = "loyalty"
#: Webhook event jobs are retried at once (a reply token lives about a minute).
EVENT_RETRY = Retry(max=2)
#: Pushes retry with growing delays (seconds) on LINE 5xx and timeouts.
PUSH_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
#: Failed jobs keep their arguments (a webhook event holds a user id and text): not for long.
FAILURE_TTL = 7 * 24 * 3600
#: Namespace of the deterministic retry keys: one logical message, one key, forever.
RETRY_KEY_NAMESPACE = uuid.UUID("6f0c1a8e-5d43-4b8e-9a51-3c2f7d9e4b10")


def queue(services: Services) -> Queue:
    """The bot's job queue."""
    return Queue(QUEUE_NAME, connection=services.queue_redis)


def enqueue_event(services: Services, event_id: str, event_json: str) -> None:
    """Queue one webhook event (its JSON text) for the worker."""
    queue(services).enqueue(
        "bot.jobs.tasks.handle_event",
        event_json,
        # RQ logs the description; the default would print the event, user id and text included.
        description=f"webhook event {event_id}",
        retry=EVENT_RETRY,
        result_ttl=0,
        failure_ttl=FAILURE_TTL,
    )


def receipt_retry_key(store_id: str, transaction_id: str) -> str:
    """The X-Line-Retry-Key of a transaction's receipt: the same for every attempt and re-queue."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"receipt:{store_id}:{transaction_id}"))


def enqueue_receipt(services: Services, member_id: str, receipt: dict, retry_key: str) -> None:
    """Queue the push of an electronic receipt."""
    queue(services).enqueue(
        "bot.jobs.tasks.send_receipt",
        member_id,
        receipt,
        retry_key,
        job_id=f"receipt-{retry_key}",
        description=f"receipt {retry_key}",
        retry=PUSH_RETRY,
        result_ttl=0,
        failure_ttl=FAILURE_TTL,
    )
