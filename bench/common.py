"""What the benchmarks share: a production-shaped environment, gunicorn, and an HTTP load."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

ROOT = Path(__file__).resolve().parent.parent
#: Keep-alive client connections of an HTTP load.
THREADS = 8


def bench_env(server: EmbeddedRedis, fake: FakeLine, **extra: str) -> dict[str, str]:
    """Live-mode settings against the embedded Redis and the fake LINE."""
    return {
        **os.environ,
        "REDIS_URL": server.url,
        "LINE_CHANNEL_SECRET": "bench",
        "LINE_CHANNEL_ACCESS_TOKEN": "bench",
        "LINE_API_BASE_URL": fake.url,
        "PUBLIC_BASE_URL": "https://bench.example",
        "SECRET_KEY": "b" * 48,
        **extra,
    }


def free_port() -> int:
    """A TCP port on loopback that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate(count: int, seconds: float) -> str:
    """``count`` per ``seconds``, formatted."""
    return f"{count / seconds:8.0f}/s"


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2) -> Iterator[int]:
    """Serve ``bench.bench_app:app`` with the Procfile's command (``workers`` x 4 threads)
    for the block; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--threads", "4", "--log-level", "warning",
               "bench.bench_app:app"]  # fmt: skip
    web = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_healthy(port)
        yield port
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait()


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def http_load(
    port: int, paths: list[str], *, bodies: list[dict] | None = None, key: str = ""
) -> float:
    """GET ``paths`` (or POST ``bodies`` to them) from THREADS keep-alive connections; return
    the elapsed seconds. Any answer other than 200/201 stops the benchmark."""
    requests = list(zip(paths, bodies or [None] * len(paths), strict=True))
    chunks = [requests[i::THREADS] for i in range(THREADS)]
    errors: list[str] = []
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def run(chunk: list[tuple[str, dict | None]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path, body in chunk:
            if body is None:
                conn.request("GET", path)
            else:
                conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 201):
                errors.append(str(response.status))
        conn.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[:3]}")
    return elapsed


def reset_redis_stats(client) -> None:
    """Zero Redis's command and I/O counters (``CONFIG RESETSTAT``) before a measured run."""
    client.config_resetstat()


def redis_per_request(client, requests: int) -> tuple[dict[str, float], float]:
    """Commands per request by name, and socket reads per request (one per round trip for
    requests under 16 KB), since the last ``reset_redis_stats``; leaves out its own INFOs."""
    commands = {
        name.removeprefix("cmdstat_"): stats["calls"] / requests
        for name, stats in client.info("commandstats").items()
        if name not in ("cmdstat_info", "cmdstat_config")
    }
    # Less the two INFO calls of this function.
    reads = client.info("stats")["total_reads_processed"] - 2
    return commands, max(0, reads) / requests


def fresh_redis(client) -> None:
    """Empty Redis and shrink its append-only file, so that rounds start alike."""
    client.flushall()
    client.bgrewriteaof()
    while client.info("persistence")["aof_rewrite_in_progress"]:
        time.sleep(0.05)
