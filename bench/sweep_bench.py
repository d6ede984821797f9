"""The expiry sweep's cost against the number of members, and push throughput against the rate.

    .venv/bin/python -m bench.sweep_bench [--members 1000000] [--due 10000]
                                          [--pushes 1000] [--rate 50] [--workers 3]

Sweep: the same due lots (half expiring now, half due for their 30-day reminder) among
``--due`` members, then among ``--members`` members whose lots expire later; the two times
should be about equal (ratio near 1), because the sweep reads only the due index. Members are
written with pipelines in the shapes the ledger uses (member hash, lots, lot data, due index).

Pushes: ``--workers`` worker processes (``python -m bot.jobs.worker``) push ``--pushes``
receipts to the local fake LINE with LINE_PUSH_RATE set to ``--rate``, then with the highest
accepted rate as the baseline of what the workers can do unthrottled.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import redis

from bench.common import (
    ROOT,
    bench_env,
)
from bot import create_app
from bot.config import MAX_PUSH_RATE, Settings
from bot.domain.retry_keys import receipt_retry_key
from bot.jobs.queue import enqueue_receipt, queue
from bot.jobs.sweep import sweep
from bot.services import Services
from bot.store import keys
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

DAY = 86400
#: Members written per pipeline.
CHUNK = 5000


def _env(server: EmbeddedRedis, fake: FakeLine, **extra: str) -> dict[str, str]:
    return bench_env(server, fake, LOG_LEVEL="WARNING", **extra)


def _services(env: dict[str, str]) -> Services:
    app = create_app({"SETTINGS": Settings.from_env(env)})
    return app.extensions["loyalty"]


def _write_members(client: redis.Redis, start: int, count: int, expiry_of) -> None:
    """Members ``start..start+count`` with one lot each, expiring at ``expiry_of(i)``."""
    for first in range(start, start + count, CHUNK):
        pipe = client.pipeline(transaction=False)
        for i in range(first, min(first + CHUNK, start + count)):
            member_id = f"{i:024x}"
            expires = expiry_of(i)
            member, lots, lot_data, *_ = keys.member_ledger(member_id)
            pipe.hset(
                member,
                mapping={
                    "uid": f"U{i:032x}",
                    "number": f"29{i:011d}",
                    "name": "Bench",
                    "lang": "ja",
                    "status": "active",
                    "balance": 10,
                    "next_lot": 1,
                },
            )
            pipe.zadd(lots, {"0000000001": expires})
            pipe.hset(lot_data, "0000000001", f"10|10|{expires - 200 * DAY}|{expires}|adjust|b")
            pipe.zadd(keys.due_index(), {f"{member_id}|{expires}": expires})
        pipe.execute()


def sweep_cost(server: EmbeddedRedis, fake: FakeLine, members: int, due: int) -> None:
    """Time the sweep over ``due`` due lots among few and among many members."""
    svc = _services(_env(server, fake))
    client = svc.store.redis
    zone = svc.settings.program.timezone
    today = datetime.now(zone).replace(hour=10, minute=0, second=0, microsecond=0)
    now = int(today.timestamp())
    half = due // 2

    def due_lot(i: int) -> int:
        # Half expired a minute ago; half expire in 30 days, inside the reminder window.
        return now - 60 if i < half else now + 30 * DAY - 60

    def later_lot(i: int) -> int:
        return now + (40 + i % 300) * DAY  # not due, in no reminder window

    results = []
    for total in (due, members):
        client.flushall()
        client.config_set("appendfsync", "no")  # writing the fixture; the sweep runs durable
        start = time.perf_counter()
        _write_members(client, 0, due, due_lot)
        _write_members(client, due, total - due, later_lot)
        built = time.perf_counter() - start
        client.config_set("appendfsync", "always")
        index = client.zcard(keys.due_index())
        start = time.perf_counter()
        report = sweep(svc, now)
        took = time.perf_counter() - start
        results.append(took)
        print(
            f"  {total:>9,} members, {index:>9,} index entries: sweep {took:6.2f} s "
            f"({report.lots_expired:,} lots expired, {report.notices:,} notices, "
            f"{report.reminders:,} reminders; fixture written in {built:.0f} s)"
        )
    print(f"  ratio (many / few members)     {results[1] / results[0]:.2f}")


def push_rate(server: EmbeddedRedis, fake: FakeLine, pushes: int, rate: int, workers: int) -> None:
    """Pushes per second that ``workers`` processes reach with the limiter at ``rate``."""
    receipt = {
        "store_name": "Bench",
        "occurred_at": "2026-11-22T10:00:00+09:00",
        "amount": 1280,
        "points_earned": 12,
        "points_used": 0,
        "balance": 12,
    }
    for limit in (rate, MAX_PUSH_RATE):
        fake.reset()
        env = _env(server, fake, LINE_PUSH_RATE=str(limit))
        svc = _services(env)
        svc.store.redis.flushall()
        users = [svc.store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(200)]
        # Queued before the workers start, so that the workers alone set the pace.
        for i in range(pushes):
            key = receipt_retry_key("B1", f"T{i}")
            enqueue_receipt(svc, users[i % len(users)].member_id, receipt, key)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.jobs.worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            first, start = _until(fake, 1, 60)
            _, end = _until(fake, pushes, pushes / min(limit, 20) + 60)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait()
        label = "configured" if limit == rate else "baseline (highest accepted)"
        print(
            f"  LINE_PUSH_RATE={limit:<5} {label:<28} {(pushes - first) / (end - start):8.1f} "
            f"pushes/s ({pushes:,} pushes, queue left {queue(svc).count})"
        )


def _until(fake: FakeLine, count: int, timeout: float) -> tuple[int, float]:
    """Wait until the fake has ``count`` deliveries; returns how many and when."""
    deadline = time.perf_counter() + timeout
    while (done := len(fake.deliveries_by_retry_key())) < count:
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {done} pushes arrived")
        time.sleep(0.005)
    return done, time.perf_counter()


def main() -> None:
    """Run both benchmarks on a fresh embedded Redis and a local fake LINE."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="sb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            print(f"Expiry sweep, {args.due:,} due lots (Redis AOF, fsync always):")
            sweep_cost(server, fake, args.members, args.due)
            print(f"Push throughput, {args.workers} worker processes, fake LINE:")
            push_rate(server, fake, args.pushes, args.rate, args.workers)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
