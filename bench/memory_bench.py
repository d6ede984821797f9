"""Redis memory per member and per purchase, through the POS API.

    .venv/bin/python -m bench.memory_bench [--members 100000] [--further 5] [--items 2]

Registers members as a follow does, then sends every member one sale through the POS API (the
app's own request path: transaction binding, idempotency record, card-code claim, receipt in the
outbox), then ``--further`` more sales to a tenth of them. Queues live on a Redis of their own
(``QUEUE_REDIS_URL``), so the ledger Redis's figures are what stays and the queue Redis's are
what a receipt costs until it is pushed. Figures are Redis ``used_memory`` deltas, then
``MEMORY USAGE`` summed by key family (ids replaced by ``*``). Memory is not timing: one run is
the measurement (``ledger_bench`` writes the ledger directly, without the request path).
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from pathlib import Path

import redis

from bench.common import bench_env
from bench.pos_bench import SALE_PATH, Till
from bot import create_app
from bot.config import Settings
from bot.jobs.outbox import relay
from bot.store.redis_store import LoyaltyStore, connect
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

#: Sales sent per batch of fresh codes (codes are issued just before they are used).
BATCH = 2000
_ID = re.compile(r"[0-9a-f]{24}|U[0-9a-f]{32}|\b[0-9]{6,}\b|T[0-9]+|X[0-9]+")


def used(client: redis.Redis) -> int:
    """Bytes Redis has allocated (``INFO memory`` ``used_memory``)."""
    return int(client.info("memory")["used_memory"])


def families(client: redis.Redis) -> Counter:
    """``MEMORY USAGE`` summed per key family."""
    sizes: Counter = Counter()
    names = list(client.scan_iter(count=5000))
    for start in range(0, len(names), 5000):
        chunk = names[start : start + 5000]
        with client.pipeline(transaction=False) as pipe:
            for name in chunk:
                pipe.memory_usage(name, samples=0)
            for name, size in zip(chunk, pipe.execute(), strict=True):
                sizes[_ID.sub("*", name if isinstance(name, str) else name.decode())] += size or 0
    return sizes


def sell(client, till: Till, api_key: str, members: int, items: list[dict]) -> None:
    """One sale to each of the first ``members`` members, through the POS API."""
    headers = {"Authorization": f"Bearer {api_key}"}
    for start in range(0, members, BATCH):
        till_slice = Till(till.settings, till.store, till.members[start : start + BATCH])
        till_slice.serial = till.serial
        for body in till_slice.sales(len(till_slice.members)):
            if items:
                body["items"] = items
            answer = client.post(SALE_PATH, json=body, headers=headers)
            assert answer.status_code == 201, answer.get_data(as_text=True)
        till.serial = till_slice.serial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--further", type=int, default=5, help="more sales per sampled member")
    parser.add_argument("--items", type=int, default=2, help="receipt lines per sale")
    args = parser.parse_args()
    items = [{"name": f"商品 {n}", "quantity": 1, "unit_price": 640} for n in range(args.items)]
    with tempfile.TemporaryDirectory(prefix="mb") as tmp, FakeLine() as fake:
        data = EmbeddedRedis(Path(tmp) / "data").start()
        jobs = EmbeddedRedis(Path(tmp) / "jobs").start()
        try:
            env = bench_env(
                data, fake, QUEUE_REDIS_URL=jobs.url, POS_RATE_LIMIT_PER_MINUTE="1000000"
            )
            settings = Settings.from_env(env)
            app = create_app({"SETTINGS": settings})
            svc = app.extensions["loyalty"]
            client, admin, queue_admin = app.test_client(), connect(data.url), connect(jobs.url)
            store = LoyaltyStore(admin)
            api_key = store.add_store("B1", "Bench")
            base, queue_base = used(admin), used(queue_admin)
            members = [store.register_member(f"U{i:032x}", "Shopper", "ja")[0]
                       for i in range(args.members)]  # fmt: skip
            registered = used(admin)
            till = Till(settings, store, members)
            sell(client, till, api_key, args.members, items)
            with_outbox = used(admin)
            while relay(svc, svc.clock()):
                pass
            bought, queued = used(admin), used(queue_admin)
            sample = args.members // 10
            for _ in range(args.further):
                sell(client, till, api_key, sample, items)
            while relay(svc, svc.clock()):
                pass
            more = used(admin)
            n, entries = args.members, sample * args.further
            print(f"Redis memory, {n:,} members, {args.items} receipt lines per sale "
                  f"(Redis {admin.info('server')['redis_version']}):")  # fmt: skip
            print(f"  per member, no purchase             {(registered - base) / n:7.0f} B")
            print(f"  per first purchase, receipt waiting {(with_outbox - registered) / n:7.0f} B")
            print(f"  per first purchase, receipt queued  {(bought - registered) / n:7.0f} B")
            print(f"  per further purchase                {(more - bought) / entries:7.0f} B")
            print(f"  queue Redis per receipt job         {(queued - queue_base) / n:7.0f} B"
                  "  (until pushed)")  # fmt: skip
            print("Ledger Redis by key family (MEMORY USAGE, bytes per member):")
            for name, size in families(admin).most_common(20):
                print(f"  {size / n:9.1f}  {name}")
            svc.line.close()
        finally:
            jobs.stop()
            data.stop()


if __name__ == "__main__":
    main()
