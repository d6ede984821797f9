"""What REDIS_WAIT_REPLICAS costs a POS sale: the same sales with and without waiting for a
replica, on one primary and its replica.

    .venv/bin/python -m bench.wait_bench [--rounds 3] [--seconds 8] [--members 12000]
                                          [--workers 2,1]

Two servers run the Procfile's gunicorn command against the same primary (both Redis with
``appendfsync always``; the replica on loopback TCP, as the failover test has it): one without
``REDIS_WAIT_REPLICAS`` (the baseline), one with ``REDIS_WAIT_REPLICAS=1``. ``wrk`` sends
distinct sales to each in turn, A B A B, and it prints ``wait / no wait`` per round. A replica
on the same machine answers in microseconds: across a network, add its round trip per sale.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import redis

from bench import wrk
from bench.common import bench_env, free_port, gunicorn
from bench.pos_bench import SALE_PATH, Till, _requests, registered_till
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine


def _pair(folder: Path) -> tuple[EmbeddedRedis, EmbeddedRedis]:
    """A primary and its replica, synced."""
    port = free_port()
    primary = EmbeddedRedis(folder / "p", port=port).start()
    replica = EmbeddedRedis(folder / "r", port=free_port(), replica_of=port).start()
    probe = redis.Redis.from_url(replica.url)
    deadline = time.monotonic() + 15
    while probe.info("replication").get("master_link_status") != "up":
        if time.monotonic() > deadline:
            raise SystemExit("the replica never synced")
        time.sleep(0.05)
    probe.close()
    return primary, replica


def rounds(env: dict, till: Till, key: str, count: int, seconds: float, workers: int) -> None:
    """Interleaved rounds of sales without and with the wait; prints each and the ratio."""
    waiting = {**env, "REDIS_WAIT_REPLICAS": "1"}
    plain_runs, wait_runs = [], []
    with gunicorn(env, workers) as plain, gunicorn(waiting, workers) as wait:
        for port in (plain, wait):
            wrk.run(port, _requests(till.sales(200), SALE_PATH, key), 1, check=False)
        for _ in range(count):
            for port, runs in ((plain, plain_runs), (wait, wait_runs)):
                sales = _requests(till.sales(len(till.members)), SALE_PATH, key)
                runs.append(wrk.run(port, sales, seconds))
    ratios = [w.rate / p.rate for w, p in zip(wait_runs, plain_runs, strict=True)]
    for name, runs in (("no wait", plain_runs), ("wait 1", wait_runs)):
        rates = [r.rate for r in runs]
        latency = statistics.median(r.median_latency_ms for r in runs)
        splits = " ".join("/".join(str(n) for n in r.split) for r in runs)
        print(f"  {name:8} median {statistics.median(rates):7.0f}/s (min {min(rates):.0f}, "
              f"max {max(rates):.0f})  p50 latency {latency:.1f} ms  split {splits}")  # fmt: skip
    print(f"  wait / no wait {statistics.median(ratios):.2f} (per round "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument("--workers", default="2,1")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="wb") as tmp, FakeLine() as fake:
        primary, replica = _pair(Path(tmp))
        try:
            env = bench_env(primary, fake, POS_RATE_LIMIT_PER_MINUTE="1000000")
            till, key = registered_till(env, primary.url, args.members)
            print(f"POS sale with REDIS_WAIT_REPLICAS=1 vs without, one local replica, "
                  f"{args.rounds} interleaved rounds of {args.seconds:g} s:")  # fmt: skip
            for workers in (int(w) for w in args.workers.split(",")):
                print(f" gunicorn {workers} worker(s) x 4 threads (split: answers per worker)")
                rounds(env, till, key, args.rounds, args.seconds, workers)
        finally:
            replica.stop()
            primary.stop()


if __name__ == "__main__":
    main()
