"""The clock process: ``python -m bot.jobs.clock`` runs the daily sweep and keeps the queues.

Every ``TICK`` seconds it looks whether the sweep is due: once a local day, from the program's
``send_hour``. A Redis lock per day makes that once however many clock processes run or
restart; a sweep that failed is released and tried again. Like every worker process it runs a
keeper thread (bot/jobs/keeper.py): due retries and jobs whose worker died go back on their
queue even while no worker process is left to do it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import zlib
from datetime import datetime

import redis
from redis.exceptions import LockError, LockNotOwnedError

from bot import create_app
from bot.config import SettingsError
from bot.domain.program import Program
from bot.domain.schedule import sweep_day
from bot.jobs.keeper import KeeperThread
from bot.jobs.notices import Stagger
from bot.jobs.sweep import NOTHING, SweepReport, purge, sweep, sweep_part
from bot.services import Services, services
from bot.store import keys

log = logging.getLogger(__name__)

#: Seconds between ticks.
TICK = 30.0
#: Seconds a running sweep holds the day's lock; a clock that died mid-sweep frees it then.
RUN_LOCK_TTL = 3600
#: Seconds a clock's lease on one part of the sweep (a shard, on a Redis Cluster) lasts
#: unless renewed; the clock renews it after every batch of the part.
PART_LEASE = 20
#: Seconds between ticks while the day's sweep is under way in other clocks (on a Redis
#: Cluster): a part whose clock died is taken over within ``PART_LEASE + PART_RETRY``.
PART_RETRY = 5.0
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
    if keys.cluster():
        return _sweep_parts(svc, now, day, owner)
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


def _sweep_parts(svc: Services, now: int, day: str, owner: str) -> SweepReport | None:
    """On a Redis Cluster: sweep each shard not done nor leased by another clock, then, once
    every shard is done (here or elsewhere), finish the day. Clocks on several hosts so share
    the day's sweep; the lease of a clock that died runs out in ``PART_LEASE`` seconds and the
    next tick of any clock (every ``PART_RETRY`` seconds while the day is under way, see
    ``pause_after``) takes the shard over."""
    state = svc.notices
    if state.run_state(day) == "done":
        return None
    parts = keys.shards()
    stagger = Stagger(svc, now, shared=keys.sweep_stagger(day))
    report, swept = NOTHING, 0
    # Each clock starts at another shard, so that clocks starting at once rarely meet.
    first = zlib.crc32(owner.encode()) % len(parts)
    for part in parts[first:] + parts[:first]:
        lease = state.part_lease(day, part, PART_LEASE)
        if state.part_done(day, part) or not lease.acquire(blocking=False):
            continue
        try:
            if state.part_done(day, part):  # finished by another just before the lease
                continue
            report += sweep_part(svc, now, part, stagger, on_batch=lease.reacquire)
        except LockNotOwnedError:
            # A batch outlasted the lease and another clock took the part over: it reads the
            # part again (whatever was queued here has its marker or retry key).
            log.warning(
                "clock: the lease on a part of the sweep of %s ran out; left to another", day
            )
            continue
        else:
            state.finish_part(day, part, RUN_DONE_TTL)
            swept += 1
        finally:
            with contextlib.suppress(LockError):
                lease.release()
    if swept:
        log.info("sweep of %s: %d of %d parts here: %s", day, swept, len(parts), report.summary())
    else:
        log.debug("clock: the sweep of %s is running or done in another clock", day)
    if state.parts_done(day, parts) and state.claim_run(day, owner, RUN_LOCK_TTL):
        try:
            purge(svc)
        except BaseException:
            state.release_run(day)
            raise
        state.finish_run(day, RUN_DONE_TTL)
        log.info("sweep of %s: all %d parts done", day, len(parts))
    return report if swept else None


def pause_after(svc: Services, now: int) -> float:
    """Seconds to the next tick: ``PART_RETRY`` while, on a Redis Cluster, the day's sweep is
    due and not done (parts may be left by a clock that died), else ``TICK``."""
    if not keys.cluster():
        return TICK
    day = due_day(now, svc.settings.program)
    if day is None or svc.notices.run_state(day) == "done":
        return TICK
    return PART_RETRY


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
                pause = pause_after(svc, svc.clock())
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
