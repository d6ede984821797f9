"""The outbox relay: moves the pushes that ledger steps wrote to members' outboxes onto the
push queue. A receipt is written in the same Lua step as its sale, so whatever crashes after
the step (the web process, Redis before the answer, the queue), the sale keeps its receipt.

Every ``pushes`` worker runs a relay thread (bot/jobs/worker.py); two relays may queue one push
twice at worst, and its retry key (the job id too) makes LINE deliver it once.
"""

from __future__ import annotations

import logging
import threading

from bot.jobs.periodic import Periodic
from bot.jobs.queue import queue_pushes
from bot.services import Services

log = logging.getLogger(__name__)

#: Index entries read per round trip.
PAGE = 500
#: Most pages one round looks at (the rest wait for the next round).
MAX_PAGES = 20
#: Seconds between rounds.
INTERVAL = 0.5
#: Seconds to wait after Redis failed before trying again.
FAILURE_PAUSE = 2.0


def relay(services: Services, now: int) -> int:
    """One round: queue every push waiting in an outbox, then forget it there; returns how many
    were queued. Queued first, forgotten second: a crash in between queues them again, and
    their job ids (their retry keys) make that the same job."""
    moved = 0
    for shard_tag in services.outbox.busy_shards():
        kept = 0
        for _ in range(MAX_PAGES):
            # Entries forgotten leave the index: the next page starts after those kept.
            found = services.outbox.waiting(kept, PAGE, now, shard_tag)
            if found.pushes:
                queue_pushes(services, found.pushes)
            services.outbox.forget(found)
            moved += len(found.pushes)
            kept += found.seen - len(found.done)
            if found.seen < PAGE:
                break
    return moved


class Relay(Periodic):
    """A thread that relays every INTERVAL until ``stop`` is set, riding out Redis outages."""

    name_for_logs = "outbox-relay"
    interval, failure_pause = INTERVAL, FAILURE_PAUSE

    def __init__(self, services: Services, stop: threading.Event) -> None:
        super().__init__(stop)
        self.services = services

    def step(self) -> None:
        relay(self.services, self.services.clock())
