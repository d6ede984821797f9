"""Workers against a slow and failing LINE: replies to taps that arrive together, and pushes
while a tenth of LINE's answers come too late.

    .venv/bin/python -m bench.worker_bench [--taps 50] [--line-delay 3] [--pushes 1000]
                                           [--rate 50] [--rounds 2]

Taps: ``--taps`` members send 「会員証」 at once (signed webhooks posted to the app); one events
worker process (the Procfile's ``worker``, WORKER_THREADS at its default) replies while every
LINE call takes ``--line-delay`` seconds. Printed: the slowest and the median tap, from the
webhook to LINE's answer to the reply, against the floor (one LINE call), and the same for
``--baseline-taps`` taps with WORKER_THREADS=1 (one job at a time, as RQ's worker runs them).

Pushes: ``--pushes`` receipts are queued, then one pushes worker process (the Procfile's
``pusher``) sends them with LINE_PUSH_RATE=``--rate``; the fake LINE answers 10 % of pushes
after the client's read timeout (LINE took the push; the worker retries it with the same
retry key and gets 409). Printed: receipts delivered per second (over the middle 80 % of deliveries,
leaving out the start and the tail of the last late answers) against the same run with no
timeouts (the baseline), the ratio to the configured rate, and the most push requests LINE
received in any one second (retries included). Rounds alternate.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import hmac
import json
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_env
from bot import create_app
from bot.config import Settings
from bot.domain.retry_keys import receipt_retry_key
from bot.jobs.queue import enqueue_receipt, event_queue, queue
from bot.line.client import PUSH_READ_TIMEOUT
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

ROOT = Path(__file__).resolve().parents[1]
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
RECEIPT = {"store_name": "Bench", "occurred_at": "2026-11-22T10:00:00+09:00", "amount": 1280,
           "points_earned": 12, "points_used": 0, "balance": 12}  # fmt: skip


def _worker(env: dict[str, str], which: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.jobs.worker", which], cwd=ROOT, env={**env, **extra},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_idle(env: dict[str, str], which: str, threads: str) -> subprocess.Popen:
    """A worker process, once all its threads wait for jobs."""
    process = _worker(env, which, WORKER_THREADS=threads)
    time.sleep(3.0)  # importing the app and starting the threads
    return process


def _tap(secret: str, user: str) -> tuple[bytes, str, str]:
    token = secrets.token_hex(16)
    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": secrets.token_hex(13).upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": token,
        "message": {"type": "text", "id": str(secrets.randbelow(10**18)), "text": "会員証",
                    "quoteToken": secrets.token_urlsafe(16)},
    }]}).encode()  # fmt: skip
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return body, signature.decode(), token


def taps(env: dict[str, str], fake: FakeLine, count: int, delay: float, threads: str) -> list:
    """Seconds from each tap's webhook to LINE's answer to its reply."""
    fake.reset()
    fake.set_delay("/v2/", delay)
    app = create_app({"SETTINGS": Settings.from_env(env)})
    svc = app.extensions["loyalty"]
    svc.store.redis.flushall()
    users = ["U" + secrets.token_hex(16) for _ in range(count)]
    for user in users:
        svc.store.register_member(user, "Bench", "ja")
    worker = _wait_idle(env, "events", threads)
    client = app.test_client()
    sent = {}
    try:
        for user in users:
            body, signature, token = _tap(env["LINE_CHANNEL_SECRET"], user)
            sent[token] = time.time()
            answer = client.post("/callback", data=body, headers={"X-Line-Signature": signature})
            assert answer.status_code == 200, answer.status_code
        deadline = time.time() + count * delay + 60
        while len(fake.recorded(REPLY)) < count and time.time() < deadline:
            time.sleep(0.05)
    finally:
        _stop(worker)
    replies = fake.recorded(REPLY)
    if len(replies) < count:
        raise SystemExit(f"only {len(replies)} of {count} taps replied")
    left = event_queue(svc).count
    assert left == 0, f"{left} event jobs left"
    return sorted(r.answered_at - sent[r.json["replyToken"]] for r in replies)


def pushes(
    env: dict[str, str], fake: FakeLine, count: int, rate: int, late: float
) -> tuple[float, int]:
    """Receipts delivered per second with a share ``late`` of LINE's answers too late (after
    the push read timeout), and the most push requests LINE got in any one second."""
    fake.reset()
    if late:
        fake.fail_randomly(PUSH, 0, delay_rate=late, delay=PUSH_READ_TIMEOUT + 1, seed=3)
    env = {**env, "LINE_PUSH_RATE": str(rate)}
    app = create_app({"SETTINGS": Settings.from_env(env)})
    svc = app.extensions["loyalty"]
    svc.store.redis.flushall()
    members = [svc.store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(200)]
    for i in range(count):
        key = receipt_retry_key("B1", f"T{i}")
        enqueue_receipt(svc, members[i % len(members)].member_id, RECEIPT, key)
    worker = _worker(env, "pushes")
    try:
        deadline = time.time() + count / rate * 3 + 90
        while len(fake.deliveries_by_retry_key()) < count and time.time() < deadline:
            time.sleep(0.05)
        # Retries of pushes that timed out although LINE took them are still to run (409).
        jobs = queue(svc)
        registries = (jobs.scheduled_job_registry, jobs.started_job_registry)
        while (jobs.count or any(r.count for r in registries)) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        _stop(worker)
    delivered: dict[str, float] = {}
    for r in fake.recorded(PUSH):
        key = r.headers.get("x-line-retry-key", "")
        if r.status == 200 and key not in delivered:
            delivered[key] = r.answered_at
    if len(delivered) < count:
        raise SystemExit(f"only {len(delivered)} of {count} receipts delivered")
    left = queue(svc).count + queue(svc).scheduled_job_registry.count
    assert left == 0, f"{left} push jobs left"
    # The middle 80 %: past the start, and before the last timed-out pushes' tail.
    times = sorted(delivered.values())
    low, high = times[count // 10], times[count - count // 10 - 1]
    arrivals = sorted(r.received_at for r in fake.recorded(PUSH))
    busiest = max(bisect.bisect_right(arrivals, t + 1.0) - n for n, t in enumerate(arrivals))
    return (count - 2 * (count // 10) - 1) / (high - low), busiest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taps", type=int, default=50)
    parser.add_argument("--baseline-taps", type=int, default=5)
    parser.add_argument("--line-delay", type=float, default=3.0)
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb") as tmp, FakeLine(history=100_000) as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        env = bench_env(server, fake)
        try:
            print(f"Taps at once, LINE answering every call in {args.line_delay:g} s:")
            for n in range(args.rounds):
                many = taps(env, fake, args.taps, args.line_delay, "32")
                one = taps(env, fake, args.baseline_taps, args.line_delay, "1")
                print(
                    f"  round {n + 1}: {args.taps} taps, 32 threads: slowest "
                    f"{many[-1]:5.1f} s, median {statistics.median(many):5.1f} s "
                    f"(slowest / one LINE call {many[-1] / args.line_delay:4.2f}); "
                    f"{args.baseline_taps} taps, 1 thread: slowest {one[-1]:5.1f} s "
                    f"({one[-1] / args.line_delay:4.2f})"
                )
            print(f"Pushes, one pusher process, LINE_PUSH_RATE={args.rate}:")
            for n in range(args.rounds):
                base, base_peak = pushes(env, fake, args.pushes, args.rate, 0.0)
                late, late_peak = pushes(env, fake, args.pushes, args.rate, 0.1)
                print(
                    f"  round {n + 1}: no timeouts {base:6.1f}/s, 10 % timeouts {late:6.1f}/s "
                    f"(ratio {late / base:4.2f}; {late / args.rate:4.2f} x LINE_PUSH_RATE); "
                    f"most in any second {base_peak} / {late_peak}"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
