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
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bot.config import Settings
from bot.embedded_redis import EmbeddedRedis
from bot.sandbox.fake_line import FakeLine
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.0f}/s"


def _http_load(port: int, path: str, bodies: list[dict], key: str) -> float:
    """Send ``bodies`` from THREADS keep-alive connections; return the elapsed seconds."""
    chunks = [bodies[i::THREADS] for i in range(THREADS)]
    errors: list[str] = []

    def run(chunk: list[dict]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        for body in chunk:
            conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 201):
                errors.append(f"{response.status}")
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


def _wait(port: int) -> None:
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
    env = {
        **os.environ,
        "LOYALTY_PROGRAM": str(_static_program(server.data_dir)),
        "POS_RATE_LIMIT_PER_MINUTE": "1000000",
        "REDIS_URL": server.url,
        "LINE_CHANNEL_SECRET": "bench",
        "LINE_CHANNEL_ACCESS_TOKEN": "bench",
        "LINE_API_BASE_URL": fake.url,
        "PUBLIC_BASE_URL": "https://bench.example",
        "SECRET_KEY": "b" * 48,
    }
    settings = Settings.from_env(env)
    client = connect(server.url)
    store = LoyaltyStore(client)
    ledger = Ledger(client, settings.program)
    key = store.add_store("B1", "Bench")
    members = [store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(200)]
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning", "bench.bench_app:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        _wait(port)
        base = _http_load(port, "/bench/baseline", [{}] * requests, key)
        earns = [
            {"transaction_id": f"E{i}", "card_code": members[i % 200].number, "amount": 1000}
            for i in range(requests)
        ]
        earn = _http_load(port, "/api/v1/transactions", earns, key)
        redeems = [
            {"transaction_id": f"R{i}", "card_code": members[i % 200].number,
             "amount": 100, "points_used": 1}
            for i in range(requests)
        ]  # fmt: skip
        redeem = _http_load(port, "/api/v1/transactions", redeems, key)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait()
    print(f"POS API, {THREADS} keep-alive clients, gunicorn 2 workers x 4 threads:")
    print(f"  baseline (1 Redis round trip) {_rate(requests, base)}")
    print(f"  earn                          {_rate(requests, earn)}  ratio {base / earn:.2f}")
    print(f"  redeem + earn                 {_rate(requests, redeem)}  ratio {base / redeem:.2f}")

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
    print(f"  baseline (INCR)               {_rate(requests, base)}")
    print(f"  redeem + earn (Lua)           {_rate(requests, direct)}  ratio {base / direct:.2f}")
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
