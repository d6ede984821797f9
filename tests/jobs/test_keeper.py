"""The keeper: one process at a time keeps the queues; jobs of dead workers run again once
their heartbeat lapses, and finish cleanly; due retries go on their queue."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from rq.executions import Execution
from rq.job import Job
from rq.registry import FailedJobRegistry

from bot.jobs import keeper as keeper_module
from bot.jobs.keeper import JOB_HEARTBEAT_TTL, REAP_GRACE, STUCK_AFTER, Keeper, reap_abandoned
from bot.jobs.queue import event_queue, queue, queue_push
from tests.jobs.conftest import T0, grant
from tests.support import events

RECEIPT = {"store_name": "S", "occurred_at": "2027-03-01T10:00:00+09:00", "amount": 100,
           "points_earned": 1, "points_used": 0, "balance": 1}  # fmt: skip


def _taken_by_a_worker_that_died(services, jobs) -> Job:
    """The first job of ``jobs`` as a worker leaves it when SIGKILLed mid-job, once its
    heartbeat has lapsed: in the started registry, off the queue, its execution's record
    expired (its listing under the job outlives that by a minute, as RQ writes it)."""
    job = Job.fetch(jobs.get_job_ids()[0], connection=services.queue_redis)
    jobs.remove(job.id)
    with services.queue_redis.pipeline() as pipe:
        execution = Execution.create(job, JOB_HEARTBEAT_TTL, pipeline=pipe)
        pipe.execute()
    services.queue_redis.delete(execution.key)  # its TTL ran out
    return job


def test_a_push_job_of_a_dead_worker_runs_again_and_finishes_cleanly(
    services, new_member, run_jobs, fake_line
):
    member = new_member()
    grant(services, member, 5, T0)
    queue_push(services, "receipt", member.member_id, RECEIPT,
               "3f1e9c43-8b1d-4d57-9a55-0c8a1b2f6e10", urgent=True)  # fmt: skip
    jobs = queue(services)
    job = _taken_by_a_worker_that_died(services, jobs)
    assert reap_abandoned(services) == 0  # its heartbeat has not lapsed yet
    assert reap_abandoned(services, time.time() + JOB_HEARTBEAT_TTL + 1) == 1
    run_jobs()
    assert len(fake_line.messages_for(member.line_user_id)) == 1
    # It finished: not failed on the dead execution RQ still listed with it.
    assert job.id not in FailedJobRegistry(queue=jobs)
    assert not services.queue_redis.exists(job.key)  # done, and nothing kept of it


def test_an_event_job_of_a_dead_worker_runs_again(services, post_webhook, run_jobs, fake_line):
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    assert post_webhook(events.follow(user)).status_code == 200
    jobs = event_queue(services)
    job = _taken_by_a_worker_that_died(services, jobs)
    assert reap_abandoned(services, time.time() + JOB_HEARTBEAT_TTL + 1) == 1
    run_jobs()
    assert len(fake_line.replies()) == 1
    assert services.store.member_for_user(user) is not None
    assert job.id not in FailedJobRegistry(queue=jobs)


def test_one_keeper_at_a_time_and_another_takes_over(services, new_member):
    first, second = Keeper(services), Keeper(services)
    assert first.round()
    assert not second.round()
    assert first.round()  # it keeps holding
    first.release()
    assert second.round()
    assert not first.round()
    second.release()


def _a_receipt_job(services, member, retry_key: str) -> str:
    """Queue a receipt for ``member``; its job id."""
    queue_push(services, "receipt", member.member_id, RECEIPT, retry_key, urgent=True)
    [job_id] = queue(services).get_job_ids()
    return job_id


def test_a_due_retry_goes_on_its_queue(services, new_member):
    jobs = queue(services)
    job_id = _a_receipt_job(services, new_member(), "0b6a2c1e-3d4f-4a5b-8c7d-9e0f1a2b3c4d")
    job = Job.fetch(job_id, connection=services.queue_redis)
    jobs.remove(job.id)
    jobs.schedule_job(job, datetime.now(UTC) - timedelta(seconds=1))  # a retry now due
    keeper = Keeper(services)
    assert keeper.round()
    assert jobs.get_job_ids() == [job.id]
    assert jobs.scheduled_job_registry.count == 0
    keeper.release()


def test_a_job_taken_by_a_worker_killed_before_it_started_goes_back(services, new_member):
    jobs = queue(services)
    job_id = _a_receipt_job(services, new_member(), "7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e")
    # As RQ's worker takes a job; it died before registering it as started.
    services.queue_redis.lmove(jobs.key, jobs.intermediate_queue.key)
    assert jobs.count == 0
    moment = [100.0]
    keeper = Keeper(services, clock=lambda: moment[0])
    keeper.clean()
    assert jobs.count == 0  # seen once: a live worker may be just about to start it
    moment[0] += STUCK_AFTER
    keeper.clean()
    assert jobs.get_job_ids() == [job_id]
    assert jobs.intermediate_queue.get_job_ids() == []


def test_a_taken_id_whose_job_is_gone_is_dropped_not_put_back(services):
    jobs = queue(services)
    services.queue_redis.rpush(jobs.intermediate_queue.key, "push-gone")
    moment = [100.0]
    keeper = Keeper(services, clock=lambda: moment[0])
    keeper.clean()
    moment[0] += STUCK_AFTER
    keeper.clean()
    assert jobs.intermediate_queue.get_job_ids() == []
    assert jobs.count == 0


def test_after_redis_failed_a_keeper_waits_a_heartbeat_round_before_reaping(
    services, new_member, monkeypatch
):
    jobs = queue(services)
    _a_receipt_job(services, new_member(), "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d")
    _taken_by_a_worker_that_died(services, jobs)
    moment = [100.0]
    keeper = Keeper(services, clock=lambda: moment[0])
    later = time.time() + JOB_HEARTBEAT_TTL + 1  # its heartbeat has lapsed by now
    keeper.round()  # it takes the lock
    moment[0] += REAP_GRACE
    keeper.interrupted()  # Redis failed: every process's heartbeats may have lapsed meanwhile
    keeper.cleaned_at = None
    monkeypatch.setattr(keeper_module, "reap_abandoned", lambda svc: reap_abandoned(svc, later))
    keeper.round()  # Redis answers again: no job is taken for abandoned yet
    assert jobs.started_job_registry.count == 1
    moment[0] += REAP_GRACE
    keeper.clean()  # a heartbeat round later, a job still not beaten is
    assert jobs.started_job_registry.count == 0
    keeper.release()
