"""Ledger throughput and memory.

    .venv/bin/python -m bench.ledger_bench [--members 100000] [--requests 3000]

Throughput of earn and redeem through the POS API (gunicorn, keep-alive HTTP clients) and
directly (Python -> Redis), each next to a baseline measured in the same run: one Redis round
trip per request through the same server, and one Redis round trip from Python. Then Redis
memory per member and per ledger entry. Ratios, not absolute times, are what compare across
machines.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, THREADS, bench_env, gunicorn, http_load, rate
from bot.config import Settings
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine


def _static_program(folder: Path) -> Path:
    """The example program with static card codes: the benchmark pays with member numbers
    (a rotating code serves one purchase, and this measures the ledger, not the codes)."""
    path = folder / "program.toml"
    text = (ROOT / "assets" / "program.example.toml").read_text()
    path.write_text(
        text.replace('code_mode = "rotating"', 'code_mode = "static"').replace(
            'logo = "logo.png"', f'logo = "{ROOT / "assets" / "logo.png"}"'
        )
    )
    return path


def throughput(server: EmbeddedRedis, fake: FakeLine, requests: int) -> None:
    """POS API and direct earn/redeem rates against their baselines."""
    env = bench_env(
        server,
        fake,
        LOYALTY_PROGRAM=str(_static_program(server.data_dir)),
        POS_RATE_LIMIT_PER_MINUTE="1000000",
    )
    settings = Settings.from_env(env)
    client = connect(server.url)
    store = LoyaltyStore(client)
    ledger = Ledger(client, settings.program)
    key = store.add_store("B1", "Bench")
    members = [store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(200)]
    earns = [
        {"transaction_id": f"E{i}", "card_code": members[i % 200].number, "amount": 1000}
        for i in range(requests)
    ]
    redeems = [
        {"transaction_id": f"R{i}", "card_code": members[i % 200].number,
         "amount": 100, "points_used": 1}
        for i in range(requests)
    ]  # fmt: skip
    pos = ["/api/v1/transactions"] * requests
    with gunicorn(env) as port:
        base = http_load(port, ["/bench/baseline"] * requests, bodies=[{}] * requests, key=key)
        earn = http_load(port, pos, bodies=earns, key=key)
        redeem = http_load(port, pos, bodies=redeems, key=key)
    print(f"POS API, {THREADS} keep-alive clients, gunicorn 2 workers x 4 threads:")
    print(f"  baseline (1 Redis round trip) {rate(requests, base)}")
    print(f"  earn                          {rate(requests, earn)}  ratio {base / earn:.2f}")
    print(f"  redeem + earn                 {rate(requests, redeem)}  ratio {base / redeem:.2f}")

    now = int(time.time())
    start = time.perf_counter()
    for _ in range(requests):
        client.incr("bench:direct")
    base = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(requests):
        ledger.purchase(
            member_id=members[i % 200].member_id, now=now, op_key=f"d{i}", fingerprint="f",
            amount=1000, points_used=1, store_id="B1", transaction_id=f"d{i}",
        )  # fmt: skip
    direct = time.perf_counter() - start
    print("Direct, one Python client:")
    print(f"  baseline (INCR)               {rate(requests, base)}")
    print(f"  redeem + earn (Lua)           {rate(requests, direct)}  ratio {base / direct:.2f}")
    client.close()


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
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            throughput(server, fake, args.requests)
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
