"""A thread that does one step every so often until stopped, riding out Redis outages: the
shape of the outbox relay, the keeper and the heartbeats of a worker process."""

from __future__ import annotations

import logging
import threading

import redis

log = logging.getLogger(__name__)


class Periodic(threading.Thread):
    """Runs ``step`` every ``interval`` seconds until ``stop`` is set. A step that fails (Redis
    unavailable, or a bug) is logged and tried again after ``failure_pause``; ``on_redis_error``
    hears of the Redis failures, ``finish`` runs once stopped."""

    name_for_logs = "periodic"
    interval = 1.0
    failure_pause = 2.0

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(name=self.name_for_logs, daemon=True)
        self.stop = stop

    def step(self) -> float | None:
        """One round; may return a pause other than ``interval`` before the next."""
        raise NotImplementedError

    def on_redis_error(self) -> None:
        """Called after a step failed because Redis did."""

    def finish(self) -> None:
        """Called once, after the last step."""

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                pause = self.step()
            except redis.RedisError as exc:
                log.warning("%s: Redis unavailable (%s); retrying", self.name, type(exc).__name__)
                self.on_redis_error()
                pause = self.failure_pause
            except Exception:
                log.exception("%s: round failed; retrying", self.name)
                pause = self.failure_pause
            self.stop.wait(self.interval if pause is None else pause)
        self.finish()
