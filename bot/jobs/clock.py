"""The clock process: ``python -m bot.jobs.clock`` runs the daily sweep and keeps the queues.

Every ``TICK`` seconds it looks whether the sweep is due: once a local day, from the program's
``send_hour``. A Redis lock per day makes that once however many clock processes run or
restart; a sweep that failed is released and tried again. Like every worker process it runs a
keeper thread (bot/jobs/keeper.py): due retries and jobs whose worker died go back on their
queue even while no worker process is left to do it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from datetime import datetime

import redis

from bot import create_app
from bot.config import SettingsError
from bot.domain.program import Program
from bot.domain.schedule import sweep_day
from bot.jobs.keeper import KeeperThread
from bot.jobs.sweep import SweepReport, sweep
from bot.services import Services, services

log = logging.getLogger(__name__)

#: Seconds between ticks.
TICK = 30.0
#: Seconds a running sweep holds the day's lock; a clock that died mid-sweep frees it then.
RUN_LOCK_TTL = 3600
#: Seconds the "done" mark of a day is kept (past that day, so a late restart skips it).
RUN_DONE_TTL = 3 * 86400
#: Seconds to wait after a tick failed, so that a persistent fault is not retried every tick.
FAILURE_PAUSE = 600


def due_day(now: int, program: Program) -> str | None:
    """The local day (ISO) whose sweep is due at ``now``, or None before the send hour."""
    day = sweep_day(datetime.fromtimestamp(now, program.timezone), program.reminders.send_hour)
    return day.isoformat() if day else None


def tick(svc: Services, now: int, owner: str) -> SweepReport | None:
    """One round: sweep if today's sweep is due and not done."""
    day = due_day(now, svc.settings.program)
    if day is None:
        return None
    state = svc.notices
    if not state.claim_run(day, owner, RUN_LOCK_TTL):
        log.debug("clock: the sweep of %s is running or done in another clock", day)
        return None
    try:
        report = sweep(svc, now)
    except BaseException:
        state.release_run(day)
        raise
    state.finish_run(day, RUN_DONE_TTL)
    return report


def main() -> int:
    """Tick until SIGTERM or SIGINT."""
    stop = threading.Event()
    # First: a stop asked for while the app is still loading ends the process cleanly too.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        app = create_app()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    owner = f"{socket.gethostname()}:{os.getpid()}"
    with app.app_context():
        svc = services()
        keeper = KeeperThread(svc, stop)
        keeper.start()
        while not stop.is_set():
            pause = TICK
            try:
                tick(svc, svc.clock(), owner)
            except redis.RedisError as exc:
                log.warning("clock: Redis unavailable (%s); next tick in %d s", exc, pause)
            except Exception:
                # The loop must outlive one bad sweep; the day's lock is released for a retry.
                log.exception("clock: tick failed; trying again in %d s", FAILURE_PAUSE)
                pause = FAILURE_PAUSE
            stop.wait(pause)
        keeper.join(5.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
