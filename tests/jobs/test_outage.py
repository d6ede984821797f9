"""The worker process rides out Redis outages: started while Redis is down, and with Redis
SIGKILLed under it, it works again within seconds of Redis coming back (production delays)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bot import create_app
from bot.domain.retry_keys import receipt_retry_key
from bot.jobs.queue import enqueue_receipt
from bot.jobs.worker import RESTART_PAUSE_MAX
from sandbox.embedded_redis import EmbeddedRedis
from tests.conftest import env_for_doubles, make_settings
from tests.support import events

ROOT = Path(__file__).resolve().parents[2]
PUSH = "/v2/bot/message/push"


@pytest.fixture
def own_redis():
    """A Redis of this test's own, to kill and start again on the same socket and data."""
    with tempfile.TemporaryDirectory(prefix="lo") as tmp:
        server = EmbeddedRedis(Path(tmp))
        yield server
        server.stop()


def _worker(url: str, line_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, **env_for_doubles(url, line_url)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.jobs.worker", "pushes"], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _receipt(app, user: str, n: int) -> None:
    svc = app.extensions["loyalty"]
    member, _ = svc.store.register_member(user, "Hanako", "ja")
    receipt = {"store_name": "Shibuya", "occurred_at": "2026-11-22T15:04:05+09:00",
               "amount": 1280, "points_earned": 12, "points_used": 0, "balance": 12}  # fmt: skip
    with app.app_context():
        enqueue_receipt(svc, member.member_id, receipt, receipt_retry_key("S1", f"T{n}"))


def _wait_for_pushes(fake_line, count: int, seconds: float) -> float:
    started = time.monotonic()
    while len(fake_line.recorded(PUSH)) < count:
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{len(fake_line.recorded(PUSH))} of {count} pushes arrived")
        time.sleep(0.05)
    return time.monotonic() - started


def test_the_worker_waits_for_redis_and_survives_a_redis_kill(own_redis, fake_line, tmp_path):
    log = tmp_path / "worker.log"
    worker = _worker(own_redis.url, fake_line.url, log)  # Redis is not running yet
    try:
        time.sleep(2)
        assert worker.poll() is None, log.read_text()
        own_redis.start()
        app = create_app({"TESTING": True, "SETTINGS": make_settings(own_redis.url, fake_line.url)})
        user = events.user_id()
        _receipt(app, user, 1)
        _wait_for_pushes(fake_line, 1, 10 + RESTART_PAUSE_MAX)
        own_redis.kill()
        time.sleep(3)  # down long enough for the worker to notice
        assert worker.poll() is None, log.read_text()
        own_redis.start()
        _receipt(app, user, 2)
        # Back within seconds: at most the longest restart pause and one dequeue.
        assert _wait_for_pushes(fake_line, 2, 15) < 15
        assert worker.poll() is None
        assert "starting again" in log.read_text()
        app.extensions["loyalty"].line.close()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
