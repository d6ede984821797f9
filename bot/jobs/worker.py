"""The worker process: ``python -m bot.jobs.worker [events|pushes]`` runs queued jobs in the app
context. The Procfile runs one of each, so every worker watches one queue (RQ takes jobs from a
single queue without a window in which a crash could lose one); with no argument a worker
watches both, events first, for small set-ups.

A job mostly waits for LINE, so a process runs WORKER_THREADS jobs at once, one RQ worker per
thread. Beside them run the heartbeats of this process's jobs, a keeper (bot/jobs/keeper.py:
due retries, jobs of dead workers) and, for pushes, the outbox relay (bot/jobs/outbox.py).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable

import redis
from flask import Flask
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job
from rq.timeouts import TimerDeathPenalty
from rq.utils import now, utcformat

from bot import create_app
from bot.config import SettingsError
from bot.jobs.keeper import HEARTBEAT_EVERY, JOB_HEARTBEAT_TTL, KeeperThread
from bot.jobs.outbox import Relay
from bot.jobs.periodic import Periodic
from bot.jobs.queue import event_queue, queue
from bot.services import services
from bot.store.scripts import script

log = logging.getLogger(__name__)

USAGE = "usage: python -m bot.jobs.worker [events|pushes]"
#: Seconds before the first restart of a worker that quit on its own (Redis went away).
RESTART_PAUSE = 0.5
#: Longest pause between restarts, in seconds: how late the worker may notice Redis is back.
RESTART_PAUSE_MAX = 4.0
#: Seconds a worker's registration outlives its last heartbeat (it beats at least every
#: WORKER_TTL - 15 s): /healthz counts a dead worker this long at most (RQ's default is 420).
WORKER_TTL = 60
#: Seconds an idle worker waits for a job before it looks whether it was asked to stop.
DEQUEUE_TIMEOUT = 5
#: Seconds a stopping process waits for its running jobs (still beating their hearts) before
#: it exits and leaves them to another process's keeper.
STOP_GRACE = 25.0


class ThreadWorker(SimpleWorker):
    """An RQ worker that runs jobs in one thread of a worker process, beside others.

    The process's main thread takes the signals, its keeper (bot/jobs/keeper.py) cleans the
    registries, moves due retries and beats the hearts of running jobs; a job's time limit is
    kept by a timer thread instead of SIGALRM, which only the main thread gets.
    """

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args: object, running: Running, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.running = running

    @property
    def dequeue_timeout(self) -> int:
        return DEQUEUE_TIMEOUT

    def get_heartbeat_ttl(self, job: Job) -> int:
        return JOB_HEARTBEAT_TTL

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """Wait for a job in rounds of DEQUEUE_TIMEOUT, looking for a stop between rounds (RQ's
        own wait ends only with a job or a signal, which threads do not get)."""
        while not self._stop_requested:
            found = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=timeout)
            if found is not None:
                return found
        raise StopRequested

    def prepare_execution(self, job: Job) -> Execution:
        execution = super().prepare_execution(job)
        self.running.started(self, job, execution)
        return execution

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        finally:
            self.running.finished(self)

    def run_maintenance_tasks(self) -> None:
        self.last_cleaned_at = now()  # the keeper cleans, under its own short lock

    def subscribe(self) -> None:
        """No command channel (RQ's would be a thread and a connection per worker)."""

    def _install_signal_handlers(self) -> None:
        """The process's main thread takes the signals (bot/jobs/worker.py ``main``)."""


class Running:
    """The jobs this process runs, by worker; ``beat`` renews their heartbeats."""

    def __init__(self, connection: redis.Redis) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[ThreadWorker, tuple[Job, Execution]] = {}
        self._beat = script(connection, "job_heartbeat")

    def started(self, worker: ThreadWorker, job: Job, execution: Execution) -> None:
        with self._lock:
            self._jobs[worker] = (job, execution)

    def finished(self, worker: ThreadWorker) -> None:
        with self._lock:
            self._jobs.pop(worker, None)

    def beat(self) -> int:
        """One heartbeat per running job, as RQ's forking worker gives its work horse, each
        only while the job is still registered as started; returns how many failed."""
        with self._lock:
            jobs = list(self._jobs.items())
        moment, failed = now(), 0
        for worker, (job, execution) in jobs:
            try:
                self._beat(
                    keys=[job.started_job_registry.key, execution.key,
                          ExecutionRegistry(job.id, worker.connection).key, job.key, worker.key],
                    args=[execution.composite_key, execution.id, JOB_HEARTBEAT_TTL,
                          moment.timestamp(), utcformat(moment), WORKER_TTL],
                )  # fmt: skip
            except redis.RedisError as exc:
                failed += 1
                log.warning("worker: a heartbeat failed (%s)", type(exc).__name__)
        return failed


class Beater(Periodic):
    """Beats ``running`` every HEARTBEAT_EVERY until ``stop`` is set; after a failed beat it
    tries again within a second, so heartbeats resume as soon as Redis answers."""

    name_for_logs = "job-heartbeats"
    interval, failure_pause = HEARTBEAT_EVERY, 1.0

    def __init__(self, running: Running, stop: threading.Event) -> None:
        super().__init__(stop)
        self.running = running

    def step(self) -> float | None:
        return self.failure_pause if self.running.beat() else None


def main(argv: list[str] | None = None) -> int:
    """Run the worker until stopped."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] not in ("events", "pushes")):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        app = create_app()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # The helpers stop only once the workers have: a job finishing after SIGTERM is still
    # beaten, so no other process takes it for abandoned and runs it twice.
    helpers_stop = threading.Event()
    with app.app_context():
        svc = services()
        chosen = {"events": [event_queue], "pushes": [queue]}.get(
            args[0] if args else "", [event_queue, queue]
        )
        # The workers' own client: RQ needs a socket timeout past its blocking waits.
        connection = _client_like(svc.queue_redis, socket_timeout=DEQUEUE_TIMEOUT + 10)
        jobs = [Queue(which(svc).name, connection=connection) for which in chosen]
        pool = Pool(app, jobs, svc.settings.worker_threads, stop)
        helpers: list[threading.Thread] = [
            KeeperThread(svc, helpers_stop),
            Beater(pool.running, helpers_stop),
        ]
        if args != ["events"]:
            # Receipts wait in members' outboxes until a relay queues them (bot/jobs/outbox.py).
            helpers.append(Relay(svc, helpers_stop))
        for helper in helpers:
            helper.start()
        pool.start()
        stop.wait()
        pool.stop()
        helpers_stop.set()
        for helper in helpers:
            helper.join(5.0)
    return 0


class Pool:
    """WORKER_THREADS workers of one process on ``queues``, each in its own thread."""

    def __init__(self, app: Flask, queues: list[Queue], size: int, stop: threading.Event) -> None:
        self.app, self.queues, self.stopping = app, queues, stop
        self.running = Running(queues[0].connection)
        self.workers: list[ThreadWorker | None] = [None] * size
        self.threads = [
            threading.Thread(target=self._work, args=(n,), name=f"worker-{n}", daemon=True)
            for n in range(size)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
        names = ", ".join(q.name for q in self.queues)
        log.info("worker: %d thread(s) on %s", len(self.threads), names)

    def stop(self) -> None:
        """Each worker stops after its job, or once its wait for one ends (DEQUEUE_TIMEOUT);
        jobs still running after STOP_GRACE are left to the keeper of another process."""
        self.stopping.set()
        for worker in self.workers:
            if worker is not None:
                worker._stop_requested = True
        deadline = time.monotonic() + STOP_GRACE
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _work(self, slot: int) -> None:
        def make_worker() -> ThreadWorker:
            worker = ThreadWorker(
                self.queues, connection=self.queues[0].connection, worker_ttl=WORKER_TTL,
                running=self.running,
            )  # fmt: skip
            self.workers[slot] = worker
            return worker

        with self.app.app_context():
            work_until_stopped(make_worker, self.stopping)


def _client_like(client: redis.Redis, **changes: object) -> redis.Redis:
    """A client of the same Redis as ``client``, on its own pool, with ``changes``."""
    pool = client.connection_pool
    kwargs = {**pool.connection_kwargs, **changes}
    return redis.Redis(connection_pool=type(pool)(connection_class=pool.connection_class, **kwargs))


def work_until_stopped(make_worker: Callable[[], SimpleWorker], stop: threading.Event) -> None:
    """Run workers one after the other until ``stop`` is set.

    RQ's worker quits on any Redis error (and cannot even start while Redis is down): this
    starts a new one, waiting RESTART_PAUSE doubling to RESTART_PAUSE_MAX in between, so the
    thread rides out a Redis outage of any length and resumes within seconds of its end.
    """
    pause = RESTART_PAUSE
    while not stop.is_set():
        began = time.monotonic()
        try:
            worker = make_worker()  # it asks Redis for its address already
            if not stop.is_set():
                # Warnings only: at INFO, RQ logs two lines per job and per thread at start.
                worker.work(logging_level="WARNING")
        except redis.RedisError as exc:
            log.warning("worker: Redis unavailable (%s)", type(exc).__name__)
        if stop.is_set():
            return
        if time.monotonic() - began > RESTART_PAUSE_MAX:
            pause = RESTART_PAUSE  # it ran a while: a new outage starts from a short pause
        log.warning("worker stopped without being asked to; starting again in %.1f s", pause)
        stop.wait(pause)
        pause = min(pause * 2, RESTART_PAUSE_MAX)


if __name__ == "__main__":
    sys.exit(main())
