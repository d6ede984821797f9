"""How fast a notice's segment is resolved among many members.

    .venv/bin/python -m bench.segment_bench [--members 1000000] [--segment 100000] [--rounds 3]

Writes ``--members`` members in the shapes the ledger keeps (member hash, members index,
activity indexes), ``--segment`` of them active at store S001 in the last 30 days. Subject:
``campaigns.resolve`` for ``--store S001 --active-days 30`` (the index picks the candidates,
then every candidate's record is read and filtered). Baseline, in the same rounds
(interleaved): the least that reading the same members can cost, one ZRANGEBYSCORE of the
store index and the same pipelined HMGETs, with no filtering. Also timed once: a segment no
index but the language's narrows (``--lang en``), and one none narrows (``--min-balance``),
which reads every member.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import bench_env
from bot import create_app
from bot.config import Settings
from bot.operations import campaigns
from bot.operations.campaigns import READ_BATCH, Segment
from bot.store import keys
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

CHUNK = 5000
DAY = 86400


def _write(client, members: int, segment: int, now: int) -> None:
    for first in range(0, members, CHUNK):
        pipe = client.pipeline(transaction=False)
        for i in range(first, min(first + CHUNK, members)):
            member_id = f"{i:024x}"
            pipe.hset(keys.member(member_id), mapping={
                "uid": f"U{i:032x}", "number": f"29{i:011d}", "status": "active",
                "lang": "en" if i % 10 == 0 else "ja", "balance": i % 500, "spend": i % 150_000,
                "joined": (now - 400 * DAY) * 1000,
            })  # fmt: skip
            pipe.zadd(keys.members_index(), {member_id: (now - 400 * DAY) * 1000})
            pipe.sadd(keys.language_index("en" if i % 10 == 0 else "ja"), member_id)
            at = now - (i % 29) * DAY if i < segment else now - 90 * DAY
            pipe.zadd(keys.active_index(), {member_id: at})
            store = "S001" if i < segment else "S002"
            pipe.zadd(keys.store_active_index(store), {member_id: at})
        pipe.execute()


def _baseline(client, now: int) -> int:
    ids = client.zrangebyscore(keys.store_active_index("S001"), now - 30 * DAY, "+inf")
    for start in range(0, len(ids), READ_BATCH):
        with client.pipeline(transaction=False) as pipe:
            for member_id in ids[start : start + READ_BATCH]:
                pipe.hmget(keys.member(member_id), "status", "lang", "balance", "spend",
                           "promotions", "opt_in")  # fmt: skip
            pipe.execute()
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--segment", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            svc = create_app({"SETTINGS": Settings.from_env(bench_env(server, fake))}).extensions[
                "loyalty"
            ]
            client = svc.store.redis
            client.config_set("appendfsync", "no")
            now = int(time.time())
            start = time.perf_counter()
            _write(client, args.members, args.segment, now)
            print(f"{args.members:,} members written in {time.perf_counter() - start:.0f} s")
            segment = Segment(store="S001", active_days=30)
            subject, baseline = [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                found = len(campaigns.resolve(svc, segment, now).member_ids)
                subject.append(time.perf_counter() - start)
                start = time.perf_counter()
                read = _baseline(client, now)
                baseline.append(time.perf_counter() - start)
            s, b = statistics.median(subject), statistics.median(baseline)
            print(f"  --store S001 --active-days 30: {found:,} members in {s:.2f} s "
                  f"(rounds {', '.join(f'{t:.2f}' for t in subject)})")  # fmt: skip
            print(f"  baseline (index + the same reads, {read:,} members): {b:.2f} s "
                  f"(rounds {', '.join(f'{t:.2f}' for t in baseline)})")  # fmt: skip
            print(f"  ratio (subject / baseline, speed): {b / s:.2f}")
            start = time.perf_counter()
            everyone = len(campaigns.resolve(svc, Segment(language="en"), now).member_ids)
            print(f"  --lang en (the language index): {everyone:,} members in "
                  f"{time.perf_counter() - start:.2f} s")  # fmt: skip
            start = time.perf_counter()
            rich = len(campaigns.resolve(svc, Segment(min_balance=450), now).member_ids)
            print(f"  --min-balance 450 (no index narrows it: every member read): {rich:,} "
                  f"members in {time.perf_counter() - start:.2f} s")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
