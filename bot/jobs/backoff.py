"""Exponential backoff with jitter for pushes that LINE did not take this time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays before retries: doubling from ``first`` up to ``cap`` seconds, randomised."""

    #: Seconds before the first retry (0: retry at once, as the tests do). Short, so that a
    #: storm of failures at 30 % still delivers a burst within a minute.
    first: float = 1.0
    #: Longest delay, in seconds.
    cap: float = 1800.0
    #: Retries of one push after transient failures (with the defaults, over 2 to 3 hours).
    max_failures: int = 17

    def delay(self, failures: int, rng: random.Random | None = None) -> int:
        """Whole seconds to wait after the ``failures``-th failure (1 = the first).

        "Equal jitter": half the exponential delay plus a random half, so retries of many
        pushes that failed together spread out instead of arriving together again.
        """
        ceiling = min(self.cap, self.first * 2 ** max(failures - 1, 0))
        if ceiling <= 0:
            return 0
        spread = (rng or random).uniform(ceiling / 2, ceiling)
        return max(1, math.ceil(spread))
