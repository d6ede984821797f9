"""The worker process: ``python -m bot.jobs.worker [events|pushes]`` runs queued jobs in the app
context. The Procfile runs one of each, so every worker watches one queue (RQ takes jobs from a
single queue without a window in which a crash could lose one); with no argument a worker
watches both, events first, for small set-ups.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable

import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested

from bot import create_app
from bot.config import SettingsError
from bot.jobs.outbox import Relay
from bot.jobs.queue import event_queue, queue
from bot.services import services

log = logging.getLogger(__name__)

USAGE = "usage: python -m bot.jobs.worker [events|pushes]"
#: Seconds before the first restart of a worker that quit on its own (Redis went away).
RESTART_PAUSE = 0.5
#: Longest pause between restarts, in seconds: how late the worker may notice Redis is back.
RESTART_PAUSE_MAX = 4.0
#: Seconds between RQ's maintenance rounds (registry clean-up, taking over the scheduler lock
#: of a dead worker): RQ's default of ten minutes left retries waiting that long.
MAINTENANCE_INTERVAL = 15
#: Seconds a worker's registration outlives its last heartbeat (it beats at least every
#: WORKER_TTL - 15 s): /healthz counts a dead worker this long at most (RQ's default is 420).
WORKER_TTL = 60


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
    with app.app_context():
        svc = services()
        queues = {"events": [event_queue(svc)], "pushes": [queue(svc)]}.get(
            args[0] if args else "", [event_queue(svc), queue(svc)]
        )
        stop = threading.Event()
        if args != ["events"]:
            # Receipts wait in members' outboxes until a relay queues them (bot/jobs/outbox.py).
            Relay(svc, stop).start()
        try:
            # SimpleWorker runs jobs in this process: the LINE connection pool and the app
            # context survive between jobs, where a forking worker would rebuild both per job.
            work_until_stopped(
                lambda: SimpleWorker(
                    queues,
                    connection=svc.queue_redis,
                    maintenance_interval=MAINTENANCE_INTERVAL,
                    worker_ttl=WORKER_TTL,
                )
            )
        finally:
            stop.set()
    return 0


def work_until_stopped(make_worker: Callable[[], SimpleWorker]) -> None:
    """Run workers one after the other until one is asked to stop (SIGTERM, SIGINT).

    RQ's worker quits on any Redis error (and cannot even start while Redis is down): this
    starts a new one, waiting RESTART_PAUSE doubling to RESTART_PAUSE_MAX in between, so the
    process rides out a Redis outage of any length and resumes within seconds of its end.
    """

    def stop(*_: object) -> None:
        raise StopRequested

    # Until RQ installs its own (in work()), and between workers once it has: stop cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    try:
        _restart_loop(make_worker)
    except StopRequested:
        # A SIGTERM between two workers: RQ's handler from the last one is still installed.
        return


def _restart_loop(make_worker: Callable[[], SimpleWorker]) -> None:
    pause = RESTART_PAUSE
    while True:
        worker, started = None, time.monotonic()
        try:
            worker = make_worker()  # it asks Redis for its address already
            worker.work(with_scheduler=True)
        except redis.RedisError as exc:
            log.warning("worker: Redis unavailable (%s)", type(exc).__name__)
        # RQ notes the time of a SIGTERM or SIGINT (a warm shutdown) on the worker.
        if getattr(worker, "_shutdown_requested_date", None) is not None:
            return
        if time.monotonic() - started > RESTART_PAUSE_MAX:
            pause = RESTART_PAUSE  # it ran a while: a new outage starts from a short pause
        log.warning("worker stopped without being asked to; starting again in %.1f s", pause)
        time.sleep(pause)
        pause = min(pause * 2, RESTART_PAUSE_MAX)


if __name__ == "__main__":
    sys.exit(main())
