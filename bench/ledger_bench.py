"""Ledger memory: Redis bytes per member and per ledger entry.

    .venv/bin/python -m bench.ledger_bench [--members 100000]

(POS throughput is ``bench.pos_bench``.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect
from sandbox.embedded_redis import EmbeddedRedis


def memory(server: EmbeddedRedis, program_env: dict[str, str], count: int) -> None:
    """Bytes per member (registered, one purchase) and per further ledger entry."""
    client = connect(server.url)
    client.flushall()
    settings = Settings.from_env(program_env)
    store, ledger = LoyaltyStore(client), Ledger(client, settings.program)

    def used() -> int:
        return int(client.info("memory")["used_memory"])

    now = int(time.time())
    before = used()
    ids = []
    for i in range(count):
        member, _ = store.register_member(f"U{i:032x}", "Shopper", "ja")
        ids.append(member.member_id)
    registered = used()
    for i, member_id in enumerate(ids):
        ledger.purchase(
            member_id=member_id, now=now, op_key=f"p:S1:{i}", fingerprint="f" * 64,
            amount=1280, points_used=0, store_id="S1", transaction_id=f"T{i:08d}",
        )  # fmt: skip
    purchased = used()
    sample = ids[: count // 10]
    for round_ in range(5):
        for member_id in sample:
            ledger.purchase(
                member_id=member_id, now=now + 1 + round_, op_key=f"p:S1:x{round_}",
                fingerprint="f" * 64, amount=980, points_used=0, store_id="S1",
                transaction_id=f"X{round_:07d}",
            )  # fmt: skip
    more = used()
    entries = 5 * len(sample)
    print(f"Redis memory, {count:,} members (Redis {client.info('server')['redis_version']}):")
    print(f"  per registered member          {(registered - before) / count:8.0f} B")
    print(f"  per member with one purchase   {(purchased - before) / count:8.0f} B")
    print(f"  per further purchase           {(more - purchased) / entries:8.0f} B"
          "  (lot, ledger entry, idempotency record, spend window, due index)")  # fmt: skip
    client.close()


def main() -> None:
    """Run both benchmarks on a fresh embedded Redis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lb") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            env = {
                "SECRET_KEY": "b" * 48,
                "REDIS_URL": server.url,
                "LINE_CHANNEL_SECRET": "x",
                "LINE_CHANNEL_ACCESS_TOKEN": "x",
                "PUBLIC_BASE_URL": "https://bench.example",
            }
            memory(server, env, args.members)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
