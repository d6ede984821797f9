"""``cluster migrate`` against the plainest copy of the same keys into the same cluster.

    .venv/bin/python -m bench.migrate_bench [--members 20000] [--rounds 3]

One Redis is filled through the real path: members registered as the follow handler does,
one ``POST /api/v1/transactions`` each (binding, record, lot, due and activity indexes,
receipt in the outbox). Each round copies it into an empty Redis Cluster of three primaries
on loopback TCP twice, in turn: the baseline ``DUMP``/``RESTORE``s every key under its own
name in batches of the same size (what any copy of the keyspace costs), the subject is
``ClusterCopy`` (names changed, indexes split entry by entry into the members' shards). The
cluster is flushed before each copy. Prints the medians, ``migrate / plain`` (keys per
second; 1.0: as fast as the plain copy) and the downtime a copy of this shape would take per
million members at the measured rate.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import bench_env
from bench.memory_bench import _program
from bot import create_app
from bot.config import Settings
from bot.store.clients import connect
from bot.store.cluster_copy import ClusterCopy, copy_as_is
from sandbox.embedded_redis import EmbeddedCluster, EmbeddedRedis, free_ports
from sandbox.fake_line import FakeLine


def _fill(env: dict, members: int) -> None:
    app = create_app({"SETTINGS": Settings.from_env(env)})
    svc = app.extensions["loyalty"]
    key = svc.store.add_store("S001", "Bench")
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    for i in range(members):
        member, _ = svc.store.register_member(f"U{i:032x}", "Shopper", "ja")
        body = {"transaction_id": f"T{i:08d}", "card_code": member.number, "amount": 1280}
        answer = client.post("/api/v1/transactions", json=body, headers=headers)
        assert answer.status_code == 201, answer.json
    svc.line.close()


def _plain(source, target) -> int:
    """Every key under its own name: the floor of any copy."""
    return copy_as_is(source, target, list(source.scan_iter(count=1000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="mb") as tmp,
        FakeLine() as fake,
        EmbeddedRedis(Path(tmp) / "one") as single,
        EmbeddedCluster(Path(tmp) / "cluster", free_ports(3)) as nodes,
    ):
        env = bench_env(
            single,
            fake,
            LOYALTY_PROGRAM=str(_program(Path(tmp))),
            HISTORY_ARCHIVE_DIR=str(Path(tmp) / "archive"),
            POS_RATE_LIMIT_PER_MINUTE="1000000",
        )
        started = time.monotonic()
        _fill(env, args.members)
        source = connect(single.url, timeout=60, decode=False)
        total = source.dbsize()
        print(
            f"{args.members:,} members with one sale each, {total:,} keys, filled in "
            f"{time.monotonic() - started:.0f} s; {args.rounds} interleaved rounds, a 3-primary "
            "cluster on loopback TCP:"
        )
        target = connect(nodes.url, timeout=60, cluster=True, decode=False)
        plain, migrate = [], []
        for round_ in range(1, args.rounds + 1):
            target.flushall()
            begun = time.monotonic()
            _plain(source, target)
            plain.append(time.monotonic() - begun)
            target.flushall()
            begun = time.monotonic()
            with ClusterCopy(
                connect(single.url, timeout=60, decode=False),
                connect(nodes.url, timeout=60, cluster=True, decode=False),
            ) as copier:
                report = copier.run()
            migrate.append(time.monotonic() - begun)
            assert report.members == args.members, report
            print(
                f"  round {round_}: plain copy {plain[-1]:.2f} s, migrate {migrate[-1]:.2f} s "
                f"({report.summary()})"
            )
        ratios = [p / m for p, m in zip(plain, migrate, strict=True)]
        mid_plain, mid_migrate = statistics.median(plain), statistics.median(migrate)
        print(f"plain copy   {total / mid_plain:9,.0f} keys/s (median {mid_plain:.2f} s)")
        print(f"migrate      {total / mid_migrate:9,.0f} keys/s (median {mid_migrate:.2f} s)")
        print(
            f"migrate / plain: {statistics.median(ratios):.2f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)})"
        )
        per_million = mid_migrate / args.members * 1_000_000
        print(f"at this rate: {per_million / 60:.0f} min per million members of this shape")
        target.close()
        source.close()


if __name__ == "__main__":
    main()
