"""Putting work on the RQ queue: the only place that knows job names and retry policies."""

from __future__ import annotations

import functools
import json
import uuid
import zlib
from datetime import timedelta
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.serializers import DefaultSerializer
from rq.utils import now, utcformat

from bot.domain.records import PushIntent
from bot.services import Services

#: Pushes (receipts, reminders, notices): one queue, so a worker takes jobs reliably.
QUEUE_NAME = "loyalty"
#: Webhook events (replies): their own queue, so a reply never waits behind a sweep's pushes
#: (a reply token lives about a minute).
EVENT_QUEUE_NAME = "loyalty-events"
#: Longest an event job may run, in seconds: past a minute its reply token is useless anyway.
EVENT_TIMEOUT = 60
#: Webhook event jobs are retried at once (a reply token lives about a minute).
EVENT_RETRY = Retry(max=2)
#: Most webhook events one job handles: a large body is spread over several jobs (and so over
#: the workers), each well inside EVENT_TIMEOUT and the reply tokens' minute.
EVENTS_PER_JOB = 20
#: A push job that raised (Redis down, a bug) or was abandoned by a dead worker runs again
#: after these delays (seconds). LINE's answers are handled inside the job (bot/jobs/push.py).
PUSH_RETRY = Retry(max=3, interval=[2, 60, 300])
#: Longest a push job may run, in seconds: one LINE call (5 s read timeout) and a short wait
#: for the rate limiter. A dead worker's job is found by its lapsed heartbeat, well before
#: (bot/jobs/keeper.py).
PUSH_TIMEOUT = 60
#: Failed jobs keep their arguments (a webhook event holds a user id and text): not for long.
FAILURE_TTL = 7 * 24 * 3600


def queue(services: Services) -> Queue:
    """The push queue."""
    return Queue(QUEUE_NAME, connection=services.queue_redis)


def event_queue(services: Services) -> Queue:
    """The webhook event queue."""
    return Queue(EVENT_QUEUE_NAME, connection=services.queue_redis)


#: The job function of webhook events.
HANDLE_EVENTS = "bot.jobs.tasks.handle_events"


def enqueue_events(services: Services, events: list[dict]) -> None:
    """Queue a webhook body's events for the worker, in one transaction: one round trip.

    Raises ``RedisError`` if Redis fails; the transaction may then have been applied or not,
    and LINE redelivers: the worker handles each event id once (bot/store/events.py).

    RQ's own enqueue builds and serialises a whole job per call (most of the webhook's CPU);
    here RQ builds the fields once per process (``_event_job_fields``) and each job writes
    them with its own id, arguments and times, as RQ would (tests/jobs/test_queue.py).
    """
    # The webhook's fast connection: a slow Redis must not hold LINE's request past 2 s.
    connection = services.webhook_redis
    fields, stamp = _event_job_fields(connection), utcformat(now())
    with connection.pipeline(transaction=True) as pipe:
        pipe.sadd(Queue.redis_queues_keys, _EVENT_QUEUE_KEY)
        for start in range(0, len(events), EVENTS_PER_JOB):
            args = (json.dumps(events[start : start + EVENTS_PER_JOB], ensure_ascii=False),)
            job_id = str(uuid.uuid4())
            job = {
                **fields,
                "data": zlib.compress(DefaultSerializer.dumps((HANDLE_EVENTS, None, args, {}))),
                "created_at": stamp,
                "enqueued_at": stamp,
                # RQ logs the description; the default would show events, user ids and text.
                "description": f"webhook events from {events[start]['webhookEventId']}",
            }
            pipe.hset(Job.key_for(job_id), mapping=job)
            pipe.rpush(_EVENT_QUEUE_KEY, job_id)
        pipe.execute()


#: The options of every webhook event job.
EVENT_JOB_OPTIONS: dict[str, Any] = {
    "retry": EVENT_RETRY,
    "timeout": EVENT_TIMEOUT,
    "result_ttl": 0,
    "failure_ttl": FAILURE_TTL,
}
_EVENT_QUEUE_KEY = Queue.redis_queue_namespace_prefix + EVENT_QUEUE_NAME


@functools.cache
def _event_job_fields(connection: redis.Redis) -> dict[str, Any]:
    """The Redis hash of a queued webhook event job as RQ builds it (the options above), less
    what differs from one job to the next. Built without a round trip."""
    job = Queue(EVENT_QUEUE_NAME, connection=connection).create_job(
        HANDLE_EVENTS, args=("",), **EVENT_JOB_OPTIONS
    )
    fields = job.to_dict()
    for per_job in ("data", "created_at", "enqueued_at", "description"):
        fields.pop(per_job, None)
    fields.update(origin=EVENT_QUEUE_NAME, status=JobStatus.QUEUED.value)
    return fields


def _push_job_id(retry_key: str) -> str:
    return f"push-{retry_key}"


def _push_options(kind: str, retry_key: str) -> dict:
    """RQ options of a push job: its id is its retry key, so one message is one job."""
    return {
        "job_id": _push_job_id(retry_key),
        "description": f"push {kind} {retry_key}",
        "retry": PUSH_RETRY,
        "timeout": PUSH_TIMEOUT,
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL,
    }


def queue_push(
    services: Services,
    kind: str,
    member_id: str,
    payload: dict,
    retry_key: str,
    *,
    urgent: bool,
    delay: int = 0,
) -> None:
    """Queue one push (built when it is sent, see bot/jobs/push.py), ``delay`` seconds on.

    The retry key is the job's id and travels with it, so every attempt, retry and re-queue
    of one logical message carries the same key and LINE delivers it once.
    """
    jobs = queue(services)
    if Job.exists(_push_job_id(retry_key), connection=services.queue_redis):
        # Already waiting or retrying: queueing again would reset its history (the time of
        # its first attempt, its failures) and could run it twice.
        return
    options = _push_options(kind, retry_key)
    options["job_timeout"] = options.pop("timeout")
    args = ("bot.jobs.push.deliver", kind, member_id, payload, retry_key, urgent)
    if delay > 0:
        jobs.enqueue_in(timedelta(seconds=delay), *args, **options)
    else:
        jobs.enqueue(*args, **options)


def enqueue_receipt(services: Services, member_id: str, receipt: dict, retry_key: str) -> None:
    """Queue the push of an electronic receipt on its own (no ledger marker): for tools."""
    queue_push(services, "receipt", member_id, receipt, retry_key, urgent=True)


def queue_pushes(services: Services, pushes: list[tuple[str, PushIntent]]) -> None:
    """Queue many (member id, push) at once, in two round trips, skipping those whose job is
    already waiting or retrying (see ``queue_push``)."""
    jobs = queue(services)
    with services.queue_redis.pipeline(transaction=False) as pipe:
        for _, push in pushes:
            pipe.exists(Job.key_for(_push_job_id(push.retry_key)))
        waiting = pipe.execute()
    fresh = [
        Queue.prepare_data(
            "bot.jobs.push.deliver",
            args=(push.kind, member_id, push.payload, push.retry_key, push.urgent),
            **_push_options(push.kind, push.retry_key),
        )
        for (member_id, push), exists in zip(pushes, waiting, strict=True)
        if not exists
    ]
    if fresh:
        jobs.enqueue_many(fresh)
