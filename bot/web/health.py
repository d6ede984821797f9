"""``GET /healthz``: whether Redis answers, LINE's monthly-limit state, and whether the queues
are being worked. 503 when Redis is unreachable, or when jobs wait and no worker takes them."""

from __future__ import annotations

import time
from datetime import datetime

import redis
from flask import Blueprint, jsonify
from rq import Queue, worker_registration

from bot.jobs.queue import event_queue, queue
from bot.services import services
from bot.store.clients import UNAVAILABLE

bp = Blueprint("health", __name__)

#: A job waiting longer than this (seconds) with no worker for its queue makes the bot unhealthy.
STALLED_AFTER = 60


@bp.get("/healthz")
def healthz():
    """Report Redis, LINE's monthly quota, and each queue: waiting jobs, the oldest one's age,
    retries scheduled, and the workers alive for it."""
    svc = services()
    try:
        svc.store.redis.ping()
        since = svc.quota.reached_since()
        queues = {"events": _queue_state(event_queue(svc)), "pushes": _queue_state(queue(svc))}
        outbox = svc.outbox.waiting_count()
    except (redis.RedisError, *UNAVAILABLE):
        return jsonify(status="unavailable", redis="unreachable"), 503
    quota = {"line_quota": "ok"}
    if since is not None:
        # Replies are free and unaffected; pushes wait until the month ends or it is cleared.
        moment = datetime.fromtimestamp(since, svc.settings.program.timezone)
        quota = {"line_quota": "monthly_limit_reached", "line_quota_since": moment.isoformat()}
    stalled = [name for name, state in queues.items() if _stalled(state)]
    body = {
        "status": "stalled" if stalled else "ok",
        "redis": "ok",
        "sandbox": svc.settings.sandbox,
        **quota,
        "queues": queues,
        # Receipts written with their sale, not yet moved to the push queue by a relay.
        "outbox": outbox,
    }
    if stalled:
        body["stalled"] = stalled
    return jsonify(body), 503 if stalled else 200


def _queue_state(jobs: Queue) -> dict[str, int | None]:
    """Waiting jobs, the oldest one's wait in seconds, scheduled retries, live workers."""
    waiting = jobs.count
    oldest = None
    if waiting:
        first = jobs.get_job_ids(0, 1)
        job = jobs.fetch_job(first[0]) if first else None
        if job is not None and job.enqueued_at is not None:
            oldest = max(0, int(time.time() - job.enqueued_at.timestamp()))
    return {
        "waiting": waiting,
        "oldest_wait_seconds": oldest,
        "scheduled": jobs.scheduled_job_registry.count,
        "workers": _live_workers(jobs),
    }


def _live_workers(jobs: Queue) -> int:
    """Workers registered for the queue whose registration has not lapsed (a SIGKILLed
    worker's lapses after WORKER_TTL; the set still names it until a keeper cleans up). Two
    round trips, however many worker threads: Worker.all would make one per worker."""
    names = sorted(worker_registration.get_keys(queue=jobs))
    if not names:
        return 0
    with jobs.connection.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.exists(name)
        return sum(pipe.execute())


def _stalled(state: dict[str, int | None]) -> bool:
    oldest = state["oldest_wait_seconds"]
    return state["workers"] == 0 and oldest is not None and oldest > STALLED_AFTER
