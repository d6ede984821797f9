"""Heartbeats of running jobs: renewed while a job runs, never after it finished (a late beat
must not bring its records back, or a rerun of the job would fail as it finishes)."""

from __future__ import annotations

from rq.executions import Execution, ExecutionRegistry
from rq.job import Job

from bot.jobs.keeper import JOB_HEARTBEAT_TTL
from bot.jobs.queue import queue, queue_push
from bot.jobs.worker import Running, ThreadWorker

RECEIPT = {"store_name": "S", "occurred_at": "2027-03-01T10:00:00+09:00", "amount": 100,
           "points_earned": 1, "points_used": 0, "balance": 1}  # fmt: skip


def test_a_beat_renews_a_running_job_and_not_a_finished_one(services, new_member):
    jobs = queue(services)
    queue_push(services, "receipt", new_member().member_id, RECEIPT,
               "5d0c8b7a-6e5f-4a3b-9c2d-1e0f9a8b7c6d", urgent=True)  # fmt: skip
    job = Job.fetch(jobs.get_job_ids()[0], connection=services.queue_redis)
    connection = services.queue_redis
    running = Running(connection)
    worker = ThreadWorker([jobs], connection=connection, running=running)
    with connection.pipeline() as pipe:
        execution = Execution.create(job, 5, pipeline=pipe)  # an old beat, about to lapse
        pipe.execute()
    running.started(worker, job, execution)
    wip = jobs.started_job_registry
    before = connection.zscore(wip.key, execution.composite_key)

    assert running.beat() == 0
    after = connection.zscore(wip.key, execution.composite_key)
    assert after >= before - 5 + JOB_HEARTBEAT_TTL  # now lasts JOB_HEARTBEAT_TTL
    assert connection.ttl(execution.key) > 5

    # The job finishes (RQ's clean-up removes its records) just before a beat goes out.
    with connection.pipeline() as pipe:
        execution.delete(job=job, pipeline=pipe)
        pipe.execute()
    assert running.beat() == 0
    assert not connection.exists(execution.key)
    assert connection.zscore(wip.key, execution.composite_key) is None
    registry = ExecutionRegistry(job.id, connection)
    assert execution.id not in registry.get_execution_ids()
