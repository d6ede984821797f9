"""The worker process: ``python -m bot.jobs.worker [events|pushes]`` runs queued jobs in the app
context. The Procfile runs one of each, so every worker watches one queue (RQ takes jobs from a
single queue without a window in which a crash could lose one); with no argument a worker
watches both, events first, for small set-ups.
"""

from __future__ import annotations

import sys
import threading

from rq import SimpleWorker

from bot import create_app
from bot.config import SettingsError
from bot.jobs.outbox import Relay
from bot.jobs.queue import event_queue, queue
from bot.services import services

USAGE = "usage: python -m bot.jobs.worker [events|pushes]"


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
        # SimpleWorker runs jobs in this process: the LINE connection pool and the app
        # context survive between jobs, where a forking worker would rebuild both per job.
        worker = SimpleWorker(queues, connection=svc.queue_redis)
        stop = threading.Event()
        if args != ["events"]:
            # Receipts wait in members' outboxes until a relay queues them (bot/jobs/outbox.py).
            Relay(svc, stop).start()
        try:
            worker.work(with_scheduler=True)
        finally:
            stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
