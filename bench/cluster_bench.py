"""POS sales on a Redis Cluster of three primaries against the same sales on one Redis.

    .venv/bin/python -m bench.cluster_bench [--rounds 3] [--seconds 5] [--members 12000]

Both Redis setups listen on loopback TCP (a cluster client needs TCP), both apps run the
Procfile's gunicorn command (2 workers x 4 threads) at the same time, and rounds alternate
(one Redis, cluster, one Redis, ...). Every sale is a new transaction with the rotating code
the member's card shows now. Prints the medians, the connection split and ``cluster / one``.
On this two-core machine the three primaries share the cores with gunicorn and wrk, so the
figure is what the cluster client and the per-slot steps cost, not what more hosts would add.
Each member's code serves one sale a round: ``--members`` must exceed the sales of a round.
Needs ``wrk`` (Debian package).
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import wrk
from bench.common import bench_env, free_port, gunicorn
from bench.pos_bench import SALE_PATH, Till, _requests, _summary
from bot.config import Settings
from bot.store import keys
from bot.store.clients import connect
from bot.store.redis_store import LoyaltyStore
from sandbox.embedded_redis import EmbeddedCluster, EmbeddedRedis, free_ports
from sandbox.fake_line import FakeLine


def _till(env: dict, cluster: bool, members: int) -> tuple[Till, str]:
    """Store B1, ``members`` members and the till that sells to them, on one setup."""
    keys.use_cluster(cluster)
    store = LoyaltyStore(connect(env["REDIS_URL"], cluster=cluster))
    api_key = store.add_store("B1", "Bench")
    registered = [store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(members)]
    return Till(Settings.from_env(env), store, registered), api_key


def _bodies(till: Till, cluster: bool) -> list[dict]:
    keys.use_cluster(cluster)  # the till reads each member's code credentials
    return till.sales(len(till.members))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--members", type=int, default=12_000)
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="cb") as tmp, FakeLine() as fake, ExitStack() as up:
        single = up.enter_context(EmbeddedRedis(Path(tmp) / "one", port=free_port()))
        queues = up.enter_context(EmbeddedRedis(Path(tmp) / "queues"))
        cluster = up.enter_context(EmbeddedCluster(Path(tmp) / "cluster", free_ports(3)))
        limit = {"POS_RATE_LIMIT_PER_MINUTE": "1000000"}
        one_env = bench_env(single, fake, **limit)
        one_env["REDIS_URL"] = f"redis://127.0.0.1:{single.port}"
        cluster_env = bench_env(
            queues, fake, **limit, REDIS_CLUSTER="1", QUEUE_REDIS_URL=queues.url
        )
        cluster_env["REDIS_URL"] = cluster.url
        one_till, one_key = _till(one_env, False, args.members)
        cluster_till, cluster_key = _till(cluster_env, True, args.members)
        print(
            f"POS sale on a 3-primary Redis Cluster vs one Redis (both TCP), wrk "
            f"{wrk.THREADS} threads x {wrk.CONNECTIONS} connections, gunicorn 2 workers x 4 "
            f"threads, {args.rounds} interleaved rounds of {args.seconds:g} s:"
        )
        one_runs, cluster_runs = [], []
        with gunicorn(one_env, 2) as one_port, gunicorn(cluster_env, 2) as cluster_port:
            for port, till, key, on in (
                (one_port, one_till, one_key, False),
                (cluster_port, cluster_till, cluster_key, True),
            ):
                warm = _bodies(till, on)[:200]
                wrk.run(port, _requests(warm, SALE_PATH, key), 1, check=False)
            for _ in range(args.rounds):
                bodies = _requests(_bodies(one_till, False), SALE_PATH, one_key)
                one_runs.append(wrk.run(one_port, bodies, args.seconds))
                bodies = _requests(_bodies(cluster_till, True), SALE_PATH, cluster_key)
                cluster_runs.append(wrk.run(cluster_port, bodies, args.seconds))
        one = _summary("one Redis", one_runs)
        on_cluster = _summary("cluster", cluster_runs)
        ratios = [c.rate / o.rate for c, o in zip(cluster_runs, one_runs, strict=True)]
        print(
            f"  cluster / one Redis {on_cluster / one:.2f} (per round "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + ")"
        )
        keys.use_cluster(False)


if __name__ == "__main__":
    main()
