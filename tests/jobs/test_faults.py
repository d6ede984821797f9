"""Exactly once through faults: LINE 5xx (some after accepting), timeouts, 429 bursts, and a
worker process killed in the middle of a push. The fake LINE counts deliveries per retry key
and per user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.domain.retry_keys import receipt_retry_key
from bot.jobs.keeper import JOB_HEARTBEAT_TTL, reap_abandoned
from bot.jobs.queue import enqueue_receipt, queue
from bot.jobs.sweep import sweep
from bot.line.client import LineClient
from tests.conftest import ACCESS_TOKEN, env_for_doubles
from tests.jobs.conftest import DAY, LIFETIME_DAYS, PROGRAM, grant

ROOT = Path(__file__).resolve().parents[2]
PUSH = "/v2/bot/message/push"
SHOPPERS = 24
#: Every push of the first worker takes this long at LINE (seconds), so it dies mid-push.
SLOW_PUSH = 0.5


@pytest.fixture
def program_text() -> str:
    """The tests' program without quiet hours: the worker process runs on the real clock."""
    return PROGRAM.replace('"21:00-09:00"', '"off"')


def _start_worker(redis_url: str, line_url: str, program: Path, log: Path) -> subprocess.Popen:
    """The production worker process (`python -m bot.jobs.worker`) against the test doubles."""
    env = {**os.environ, **env_for_doubles(redis_url, line_url, LOYALTY_PROGRAM=str(program))}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.jobs.worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill_mid_push(worker: subprocess.Popen, services, fake_line, log: Path) -> int:
    """SIGKILL the worker while pushes of its are at LINE, after it has done a few; returns
    how many jobs it was running."""
    started = queue(services).started_job_registry
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        busy = started.get_job_ids(cleanup=False)
        if len(fake_line.recorded(PUSH)) >= 3 and busy:
            time.sleep(0.15)  # past building the messages: the requests are at LINE now
            if started.get_job_ids(cleanup=False) == busy:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                return len(busy)
        if worker.poll() is not None:
            break
        time.sleep(0.02)
    raise AssertionError("the worker never got going:\n" + log.read_text(errors="replace"))


def test_every_receipt_and_reminder_arrives_exactly_once(
    app, services, redis_server, program_file, fake_line, run_jobs, new_member, tmp_path
):
    now = int(time.time())
    shoppers = [new_member(language="en" if i % 3 == 0 else "ja") for i in range(SHOPPERS)]
    expected: dict[str, int] = {}
    for i, member in enumerate(shoppers):
        # Two thirds have points due for their 30-day reminder at the sweep below.
        grant(services, member, 10 + i, now if i % 3 else now + 5 * DAY)
        for n in range(1 + i % 2):
            enqueue_receipt(
                services, member.member_id, _receipt(i), receipt_retry_key("S1", f"{i}-{n}")
            )
        expected[member.line_user_id] = 1 + i % 2 + (1 if i % 3 else 0)
    report = sweep(services, now + (LIFETIME_DAYS - 30) * DAY)
    assert report.reminders == sum(1 for i in range(SHOPPERS) if i % 3)
    total = sum(expected.values())

    # Phase 1: the real worker process, LINE slow and failing 30 % of pushes; killed mid-push.
    fake_line.set_delay(PUSH, SLOW_PUSH)
    fake_line.fail_randomly(PUSH, 0.3, statuses=(500, 503, 429), accept_first=0.5, seed=7)
    log = tmp_path / "worker.log"
    worker = _start_worker(redis_server.url, fake_line.url, program_file, log)
    try:
        busy = _kill_mid_push(worker, services, fake_line, log)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    in_flight = len(fake_line.recorded(PUSH))
    time.sleep(SLOW_PUSH + 0.2)  # LINE finishes the pushes the dead worker sent
    assert in_flight < len(fake_line.recorded(PUSH)) <= in_flight + busy

    # Phase 2: a keeper finds the abandoned jobs once their heartbeat lapses; another worker
    # carries on through 5xx, lost answers, timeouts and a burst of rate limiting.
    fake_line.set_delay(PUSH, 0)
    assert reap_abandoned(services, time.time() + JOB_HEARTBEAT_TTL + 1) == busy
    services.line.close()
    services.line = LineClient(ACCESS_TOKEN, fake_line.url, timeout=(1.0, 0.15))
    fake_line.fail_randomly(
        PUSH,
        0.3,
        statuses=(500, 502, 503, 429),
        accept_first=0.5,
        delay_rate=0.08,
        delay=0.3,
        seed=11,
    )
    fake_line.fail_next(PUSH, 429, count=6)
    run_jobs(max_rounds=50)
    time.sleep(0.4)  # answers to timed-out requests still on their way

    answers = [r.status for r in fake_line.recorded(PUSH)]
    assert {500, 503, 429, 409} <= set(answers), answers  # the faults did happen
    keys = fake_line.deliveries_by_retry_key()
    assert len(keys) == total
    assert set(keys.values()) == {1}
    got = {user: len(fake_line.messages_for(user)) for user in expected}
    assert got == expected
    assert queue(services).count == 0


def _receipt(i: int) -> dict:
    return {
        "store_name": "Shibuya",
        "occurred_at": "2027-03-01T10:00:00+09:00",
        "amount": 100 * (i + 1),
        "points_earned": i + 1,
        "points_used": 0,
        "balance": i + 1,
    }
