"""The worker process: ``python -m bot.jobs.worker`` runs queued jobs in the app context."""

from __future__ import annotations

import sys

from rq import SimpleWorker

from bot import create_app
from bot.config import SettingsError
from bot.jobs.queue import queue
from bot.services import services


def main() -> int:
    """Run the worker until stopped."""
    try:
        app = create_app()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    with app.app_context():
        # SimpleWorker runs jobs in this process: the LINE connection pool and the app
        # context survive between jobs, where a forking worker would rebuild both per job.
        worker = SimpleWorker([queue(services())], connection=services().queue_redis)
        worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
