"""What every worker process shares about pushing: the rate limiter and LINE's monthly limit."""

from __future__ import annotations

import os
import secrets

import redis

from bot.store import keys
from bot.store.scripts import script

#: Microseconds per second (the window script counts in Redis microseconds).
_MICROS = 1_000_000
#: The window the limiter counts ``rate`` pushes in, in seconds: LINE counts pushes per second
#: as they reach it, and a push reaches LINE a varying moment after it took its slot (a busy
#: worker, the network), so a window of exactly one second still let a second at LINE see
#: 1.1-1.2 x the rate. The margin over a second is the spread it allows.
WINDOW = 1.1


class PushRateLimiter:
    """At most ``rate`` pushes in any WINDOW (a little over a second) over all workers: a
    sliding window in Redis.

    A token bucket holds the average but lets a burst through on top of it (1.1 x the rate in
    one second at a tenth of a second's burst), and LINE counts per second.
    """

    def __init__(self, client: redis.Redis, rate: int) -> None:
        self.rate = rate
        self._take = script(client, "sliding_window")

    def acquire(self) -> float:
        """Take a slot: 0.0 when taken, else the seconds to wait before asking again."""
        # A client retry of this script can only take a second slot: a slightly slower push.
        member = f"{os.getpid()}:{secrets.token_hex(6)}"
        window = int(WINDOW * _MICROS)
        wait = int(self._take(keys=[keys.push_window()], args=[self.rate, member, window]))
        return wait / _MICROS


class LineQuota:
    """Whether LINE answered "monthly limit reached", since when, until the month ends."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def reached_since(self) -> int | None:
        """Unix time at which the monthly limit was first reported, or None if it is not."""
        value = self.redis.get(keys.line_quota())
        return int(value) if value is not None else None

    def mark_reached(self, now: int, until: int) -> bool:
        """Record the limit until ``until`` (unix time); True only for the call that set it."""
        # A TTL from ``now`` rather than an absolute EXAT: ``now`` is the app's clock.
        return bool(self.redis.set(keys.line_quota(), now, nx=True, ex=max(until - now, 1)))

    def clear(self) -> bool:
        """Forget the limit (more messages were bought, or a push went through); True if set."""
        return bool(self.redis.delete(keys.line_quota()))
