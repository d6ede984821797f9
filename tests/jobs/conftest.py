"""Fixtures for pushes and the sweep: a short-lived program, zero backoff, members, a clock."""

from __future__ import annotations

import time

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from bot.domain.records import Member
from bot.jobs import push
from bot.jobs.backoff import Backoff
from bot.jobs.queue import queue
from bot.services import Services
from tests.support.events import user_id
from tests.support.moments import DAY, T0, TOKYO  # noqa: F401 - the tests import them from here

#: Points live 40 days, so a grant at T0 is due for its 30-day reminder at T0 + 10 days.
LIFETIME_DAYS = 40

PROGRAM = f"""
[program]
name = "テスト店"
timezone = "Asia/Tokyo"

[points]
lifetime = "{LIFETIME_DAYS}d"
end_of_month = false

[reminders]
offsets = ["30d", "7d"]
send_hour = 10
quiet_hours = "21:00-09:00"

[card]
code_mode = "static"
"""


@pytest.fixture
def program_text() -> str:
    """The short-lived program."""
    return PROGRAM


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch) -> None:
    """Retries run at once: the tests stay fast and the order of attempts deterministic."""
    monkeypatch.setattr(push, "BACKOFF", Backoff(first=0, cap=0))


@pytest.fixture
def new_member(services: Services, fake_line):
    """Register a shopper: ``new_member(language="ja", points=0, at=T0)``."""

    def make(language: str = "ja", points: int = 0, at: int = T0) -> Member:
        user = user_id()
        member, _ = services.store.register_member(user, "Shopper", language)
        if points:
            grant(services, member, points, at)
        return member

    return make


def grant(services: Services, member: Member, points: int, at: int, key: str = "") -> None:
    """Give the member a lot of ``points`` earned at ``at`` (it expires LIFETIME_DAYS later)."""
    status, _ = services.ledger.adjust(
        member_id=member.member_id,
        now=at,
        op_key=key or f"g:{at}:{points}",
        amount=points,
        reason="test",
    )
    assert status == "applied"


@pytest.fixture
def work_queue(app):
    """Work the queue once, leaving scheduled jobs (retries, deferrals) where they are."""

    def work() -> None:
        with app.app_context():
            svc: Services = app.extensions["loyalty"]
            SimpleWorker([queue(svc)], connection=svc.queue_redis).work(burst=True)

    return work


@pytest.fixture
def scheduled(services: Services):
    """Seconds from now at which each scheduled job will be queued."""

    def delays() -> list[float]:
        registry = ScheduledJobRegistry(queue=queue(services))
        now = time.time()
        return [
            registry.get_scheduled_time(job_id).timestamp() - now
            for job_id in registry.get_job_ids()
        ]

    return delays
