"""Webhook event jobs are written as RQ itself writes them, so its worker runs them as its own."""

from __future__ import annotations

import json

from rq.job import Job

from bot.jobs.queue import EVENT_JOB_OPTIONS, HANDLE_EVENTS, enqueue_events, event_queue
from tests.support import events


def test_event_jobs_are_written_field_for_field_as_rq_writes_them(services):
    body = [events.follow(events.user_id()), events.text(events.user_id(), "card")]
    enqueue_events(services, body)
    jobs = event_queue(services)
    (ours,) = jobs.job_ids
    theirs = jobs.enqueue_call(
        HANDLE_EVENTS,
        args=(json.dumps(body, ensure_ascii=False),),
        description=f"webhook events from {body[0]['webhookEventId']}",
        **EVENT_JOB_OPTIONS,
    ).id
    assert jobs.job_ids == [ours, theirs]
    written = {
        job_id: services.queue_redis.hgetall(Job.key_for(job_id)) for job_id in (ours, theirs)
    }
    assert written[ours].keys() == written[theirs].keys()
    for times in (b"created_at", b"enqueued_at"):
        del written[ours][times], written[theirs][times]
    assert written[ours] == written[theirs]
    job = Job.fetch(ours, connection=services.queue_redis)
    assert (job.func_name, job.args, job.retries_left) == (HANDLE_EVENTS, (json.dumps(body),), 2)
    assert job.origin == jobs.name
