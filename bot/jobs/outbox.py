"""The outbox relay: moves the pushes that ledger steps wrote to members' outboxes onto the
push queue. A receipt is written in the same Lua step as its sale, so whatever crashes after
the step (the web process, Redis before the answer, the queue), the sale keeps its receipt.

Every ``pushes`` worker runs a relay thread (bot/jobs/worker.py); two relays may queue one push
twice at worst, and its retry key (the job id too) makes LINE deliver it once.
"""

from __future__ import annotations

import json
import logging
import threading

import redis

from bot.domain.records import PushIntent
from bot.jobs.queue import queue_pushes
from bot.services import Services
from bot.store import keys

log = logging.getLogger(__name__)

#: Seconds an index entry whose outbox entry is missing is kept: the ledger step writes it
#: within a request's time after the index (a refused step, or a member who does not follow
#: the account, writes none). A web process that stalled longer re-indexes its receipt.
OUTBOX_GRACE = 60
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
    were queued."""
    client = services.store.redis
    moved = 0
    for page in range(MAX_PAGES):
        entries = client.zrange(keys.outbox_index(), page * PAGE, (page + 1) * PAGE - 1,
                                withscores=True)  # fmt: skip
        if not entries:
            break
        moved += _relay_page(services, entries, now)
        if len(entries) < PAGE:
            break
    return moved


def _relay_page(services: Services, entries: list[tuple[str, float]], now: int) -> int:
    client = services.store.redis
    parsed = [(entry, score, *entry.split("|", 1)) for entry, score in entries]
    with client.pipeline(transaction=False) as pipe:
        for _, _, member_id, retry_key in parsed:
            pipe.hget(keys.outbox(member_id), retry_key)
        found = pipe.execute()
    pushes: list[tuple[str, PushIntent]] = []
    done = []
    for (entry, score, member_id, retry_key), raw in zip(parsed, found, strict=True):
        if raw is None:
            if score < now - OUTBOX_GRACE:
                done.append(entry)  # moved already, or never written
            continue
        job = json.loads(raw)
        pushes.append(
            (member_id, PushIntent(job["kind"], retry_key, job["payload"], job["urgent"]))
        )
        done.append(entry)
    if pushes:
        queue_pushes(services, pushes)
    if done:
        # Queued first, forgotten second: a crash in between queues them again, once more.
        with client.pipeline(transaction=False) as pipe:
            for member_id, push in pushes:
                pipe.hdel(keys.outbox(member_id), push.retry_key)
            pipe.zrem(keys.outbox_index(), *done)
            pipe.execute()
    return len(pushes)


class Relay(threading.Thread):
    """A thread that relays until ``stop`` is set, riding out Redis outages."""

    def __init__(self, services: Services, stop: threading.Event) -> None:
        super().__init__(name="outbox-relay", daemon=True)
        self.services, self.stop = services, stop

    def run(self) -> None:
        """Relay every INTERVAL; after a failure wait FAILURE_PAUSE and carry on."""
        while not self.stop.is_set():
            pause = INTERVAL
            try:
                relay(self.services, self.services.clock())
            except redis.RedisError as exc:
                log.warning("outbox relay: Redis unavailable (%s); retrying", type(exc).__name__)
                pause = FAILURE_PAUSE
            except Exception:
                log.exception("outbox relay: round failed; retrying")
                pause = FAILURE_PAUSE
            self.stop.wait(pause)
