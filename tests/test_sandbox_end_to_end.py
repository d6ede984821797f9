"""The README's promise: `make run` starts the whole bot in sandbox mode and it works.

Runs the launcher (honcho, gunicorn, the RQ worker, the LINE stand-in) as real processes,
then drives it with the sandbox CLI a newcomer uses.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def sandbox(redis_server, redis_client):
    web, line = _free_port(), _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PUBLIC_BASE_URL")
    }
    env.update(
        REDIS_URL=redis_server.url,
        PORT=str(web),
        LINE_API_BASE_URL=f"http://127.0.0.1:{line}",
        WEB_CONCURRENCY="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.launcher"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{web}/healthz")
        yield env
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _inbox_until(env: dict[str, str], needle: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = _cli(env, "inbox")
        if needle in out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never arrived; inbox:\n{out}")


def test_shopper_and_till_in_sandbox(sandbox):
    env = sandbox
    assert "webhook answered 200" in _cli(env, "follow")
    inbox = _inbox_until(env, "image:")
    image_url = inbox.split("image: ")[1].split()[0]
    with urllib.request.urlopen(image_url, timeout=5) as response:  # noqa: S310 - loopback
        assert response.headers["Content-Type"] == "image/png"
    added = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "store", "add", "S001", "--name", "渋谷"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    key = added.stdout.split()[-1]
    out = _cli(env, "buy", "--key", key, "--amount", "1280")
    assert json.loads(out.split(" ", 1)[1])["points_earned"] == 12
    _inbox_until(env, "¥1,280")
    # Points for a reward ticket, and the till uses it.
    _cli(env, "buy", "--key", key, "--amount", "5000")
    _cli(env, "tap", "reward&r=coffee")
    confirm = _inbox_until(env, "交換の確認")
    exchange = confirm.split("tap '")[-2].split("'")[0]  # Exchange, then Cancel
    assert exchange.startswith("exchange&r=coffee&c=50&n=")
    _cli(env, "tap", exchange)
    _inbox_until(env, "特典チケット: コーヒー1杯無料")
    used = _cli(env, "redeem", "--key", key)
    assert json.loads(used.split(" ", 1)[1])["reward"]["key"] == "coffee"
