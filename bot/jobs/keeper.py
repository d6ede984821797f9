"""The keeper: what keeps the queues moving whatever process dies.

Every worker process and the clock run a keeper thread; one of them at a time holds a short
Redis lock and does the work, so a dead holder is replaced within ``LOCK_TTL`` seconds:

- retries that are due (RQ's scheduled registries) go on their queue, every ``INTERVAL``;
- jobs whose worker died (their heartbeat lapsed, ``JOB_HEARTBEAT_TTL``) run again, and RQ's
  other registries are cleaned, every ``CLEAN_EVERY``.

RQ's own scheduler holds its lock 61 s past its holder's death and its worker clean-up takes a
15-minute lock: after a crash, retries waited minutes. Each worker process beats the hearts of
its own running jobs (bot/jobs/worker.py): a job's heartbeat, not its time limit, says it is
alive. The hosts' clocks must agree within a few seconds (NTP): heartbeats are their times.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import LockError
from rq import Queue
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    StartedJobRegistry,
)
from rq.scheduler import RQScheduler
from rq.utils import as_text, current_timestamp
from rq.worker_registration import clean_worker_registry

from bot.jobs.periodic import Periodic
from bot.jobs.queue import event_queue, queue
from bot.services import Services
from bot.store import keys
from bot.store.scripts import script

log = logging.getLogger(__name__)

#: Seconds the lock outlives its holder's last round: how late a new keeper takes over.
LOCK_TTL = 10
#: Seconds between rounds: how late a due retry may go on its queue.
INTERVAL = 1.0
#: Seconds between clean-ups of RQ's registries (finding jobs whose worker died).
CLEAN_EVERY = 5.0
#: Seconds a job may sit taken from its queue but not started before it is put back.
STUCK_AFTER = 4.0
#: Seconds a running job's heartbeat lasts; its own process renews it every HEARTBEAT_EVERY
#: (bot/jobs/worker.py). A job whose worker died is taken up again this long after its last
#: beat.
JOB_HEARTBEAT_TTL = 20
HEARTBEAT_EVERY = 5.0
#: Seconds a keeper holds the lock, with Redis answering, before it takes any job as
#: abandoned: after an outage every process beats its jobs again first.
REAP_GRACE = HEARTBEAT_EVERY + 2.0
#: Seconds to wait after Redis failed before the next round.
FAILURE_PAUSE = 2.0


def reap_abandoned(svc: Services, timestamp: float | None = None) -> int:
    """Retry the jobs whose worker died mid-job; returns how many.

    A job is abandoned once its heartbeat has lapsed (at ``timestamp``, default now): push jobs
    run again with their retry key; event jobs handle again only the events they took and did
    not finish (bot/jobs/tasks.py). Callers hold the keeper's lock: two clean-ups at once could
    retry one job twice."""
    moment = timestamp if timestamp is not None else current_timestamp()
    count = 0
    for jobs in queues(svc):
        registry = jobs.started_job_registry
        abandoned = registry.get_expired_job_ids(moment)
        if abandoned:
            _forget_dead_executions(registry, moment)
            registry.cleanup(moment)
            log.warning("retried %d %s job(s) abandoned by a dead worker", len(abandoned),
                        jobs.name)  # fmt: skip
        count += len(abandoned)
    return count


def _forget_dead_executions(registry: StartedJobRegistry, moment: float) -> None:
    """Forget the executions of dead workers in their jobs' own lists before the jobs run again.

    RQ lists an execution with its job a minute past the execution's own record: a job that
    runs again within that minute (as here, seconds after its worker's heartbeat lapsed) would
    fail as it finishes, looking up the record. RQ never meets this: it finds abandoned jobs
    only after that minute."""
    dead = registry.connection.zrangebyscore(registry.key, 0, moment)
    with registry.connection.pipeline() as pipe:
        for composite in dead:
            execution = Execution.from_composite_key(as_text(composite), registry.connection)
            ExecutionRegistry(execution.job_id, registry.connection).remove(execution, pipe)
            pipe.delete(execution.key)
        pipe.execute()


def queues(svc: Services) -> tuple[Queue, Queue]:
    """The queues a keeper keeps: pushes and webhook events."""
    return queue(svc), event_queue(svc)


class Keeper:
    """One process's keeper: ``round`` does the work when this process holds the lock."""

    def __init__(self, svc: Services, clock: Callable[[], float] = time.monotonic) -> None:
        self.svc, self.clock = svc, clock
        self.lock = svc.queue_redis.lock(keys.keeper_lock(), timeout=LOCK_TTL, thread_local=False)
        self.scheduler = RQScheduler([q.name for q in queues(svc)], svc.queue_redis)
        self.scheduler.prepare_registries([q.name for q in queues(svc)])
        self.requeue = script(svc.queue_redis, "requeue_stuck")
        self.holding = False
        #: Since when this keeper holds the lock with Redis answering (``clock``).
        self.fresh_since = 0.0
        self.cleaned_at: float | None = None
        #: Jobs seen in a queue's intermediate list: when first seen (``clock``), by queue.
        self.stuck: dict[str, dict[str, float]] = {}

    def round(self) -> bool:
        """Keep the queues if this process holds (or now takes) the lock; True if it did."""
        if not self._hold():
            return False
        if self.fresh_since == float("inf"):
            self.fresh_since = self.clock()  # Redis answers again
        # RQ's own move of due jobs, without RQ's lock (this one stands for it).
        self.scheduler.enqueue_scheduled_jobs()
        moment = self.clock()
        if self.cleaned_at is None or moment - self.cleaned_at >= CLEAN_EVERY:
            self.clean()
            self.cleaned_at = moment
        return True

    def clean(self) -> None:
        """Retry abandoned jobs, put back jobs stuck between queue and worker, and clean RQ's
        other registries and its worker list."""
        if self.clock() - self.fresh_since >= REAP_GRACE:
            reap_abandoned(self.svc)
        for jobs in queues(self.svc):
            self._put_back_stuck(jobs)
            # RQ's clean_registries would clean the started registry again, a second way.
            for registry in (FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry):
                registry(queue=jobs).cleanup()
            clean_worker_registry(jobs)

    def _put_back_stuck(self, jobs: Queue) -> None:
        """A worker takes a job by moving it from the queue to an intermediate list, then
        registers it as started: one killed in between leaves it there, neither waiting nor
        running. Seen there twice, STUCK_AFTER apart, and still not started, it goes back to
        the front of its queue in one atomic step (RQ's own clean-up waits a minute, then
        counts a failure); an id whose job is gone is dropped."""
        intermediate = jobs.intermediate_queue
        moment = self.clock()
        seen = self.stuck.setdefault(jobs.name, {})
        now_there = set(intermediate.get_job_ids())
        for job_id in list(seen):
            if job_id not in now_there:
                del seen[job_id]
        for job_id in now_there:
            first = seen.setdefault(job_id, moment)
            if moment - first < STUCK_AFTER:
                continue
            del seen[job_id]
            found = self.requeue(
                keys=[intermediate.key, jobs.key, jobs.started_job_registry.key,
                      Job.key_for(job_id)],
                args=[job_id],
            )  # fmt: skip
            if found == 1:
                log.warning("put back a %s job a dead worker had taken but not started",
                            jobs.name)  # fmt: skip

    def release(self) -> None:
        """Give the lock up (a process stopping cleanly): another keeper takes over at once."""
        if self.holding:
            self.holding = False
            with contextlib.suppress(LockError, redis.RedisError):
                self.lock.release()  # lapsed or unreachable: it expires by itself

    def _hold(self) -> bool:
        if self.holding:
            try:
                self.lock.reacquire()  # back to the full LOCK_TTL
                return True
            except LockError:
                log.warning("keeper: lost the lock (a round took over %d s)", LOCK_TTL)
                self.holding = False
        self.holding = bool(self.lock.acquire(blocking=False))
        if self.holding:
            self.fresh_since = self.clock()
            log.info("keeper: this process keeps the queues")
        else:
            log.debug("keeper: another process keeps the queues")
        return self.holding

    def interrupted(self) -> None:
        """Redis failed mid-round: keep the lock if it is still ours (the next round renews
        it), but find no abandoned job until REAP_GRACE after Redis answers again: every
        heartbeat may have lapsed meanwhile, the live jobs' as well, until their processes
        beat again."""
        self.fresh_since = float("inf")


class KeeperThread(Periodic):
    """Runs ``Keeper.round`` every INTERVAL until ``stop`` is set; rides out Redis outages.
    On stop it gives the lock up."""

    name_for_logs = "job-keeper"
    interval, failure_pause = INTERVAL, FAILURE_PAUSE

    def __init__(self, svc: Services, stop: threading.Event) -> None:
        super().__init__(stop)
        self.keeper = Keeper(svc)

    def step(self) -> None:
        self.keeper.round()

    def on_redis_error(self) -> None:
        self.keeper.interrupted()

    def finish(self) -> None:
        self.keeper.release()
