"""The whole sandbox as ``make run`` starts it (launcher, honcho, gunicorn, workers, the LINE
stand-in) on free ports and a Redis of its own, for the page and CLI tests of this package."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.embedded_redis import EmbeddedRedis
from tests.support.browser import browser, chrome  # noqa: F401 - fixtures for the page tests

ROOT = Path(__file__).resolve().parents[2]
#: Seconds the launcher may take to answer /healthz (honcho starts four processes).
START_SECONDS = 60


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the launcher exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {START_SECONDS} s:\n{log.read_text()}")


@dataclass(frozen=True)
class LiveSandbox:
    """A running sandbox: the bot's URL, the LINE stand-in's, and their environment."""

    url: str
    line_url: str
    env: dict[str, str]
    log: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in the project with the sandbox's environment."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="package")
def live_sandbox() -> Iterator[LiveSandbox]:
    """``python -m sandbox.launcher`` (what ``make run`` runs) without LINE credentials."""
    with tempfile.TemporaryDirectory(prefix="sbx") as tmp:
        redis_server = EmbeddedRedis(Path(tmp) / "redis").start()
        web, line = free_port(), free_port()
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
            WORKER_THREADS="4",
        )
        log = Path(tmp) / "launcher.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "sandbox.launcher"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{web}"
        try:
            _wait_http(f"{url}/healthz", process, log)
            yield LiveSandbox(url, env["LINE_API_BASE_URL"], env, log)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            redis_server.stop()
