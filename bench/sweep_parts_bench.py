"""The daily sweep on a Redis Cluster: one clock process against two sharing it out by shard.

    .venv/bin/python -m bench.sweep_parts_bench [--members 6000] [--rounds 2]

A 3-primary cluster (queues on a standalone Redis) holds ``--members`` members, each with a
lot that expired the day before; each clock process runs the clock's real tick (bot/jobs/
clock.py), which expires the lots, writes the history and queues one expiry notice per member.
The clocks are started and loaded first and then let go at once; the time is from then until
every clock's tick returned. Rounds alternate (one clock, two clocks, ...), each on a new day
with a new lot per member. Prints the times and ``two / one``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import bench_env
from bot import create_app
from bot.config import Settings
from bot.jobs.clock import tick
from bot.store import keys
from bot.store.clients import connect
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore
from sandbox.embedded_redis import EmbeddedCluster, EmbeddedRedis, free_ports
from sandbox.fake_line import FakeLine

DAY = 86400
TOKYO = ZoneInfo("Asia/Tokyo")
PROGRAM = """
[program]
name = "Bench"
timezone = "Asia/Tokyo"

[points]
lifetime = "40d"
end_of_month = false

[reminders]
offsets = ["30d"]
send_hour = 10
quiet_hours = "21:00-09:00"

[card]
code_mode = "static"
"""


def _clock(env: dict, moment: int, owner: str, ready, go) -> None:
    """A clock process: loaded, then one tick at ``moment`` once let go."""
    app = create_app({"SETTINGS": Settings.from_env(env)})
    svc = app.extensions["loyalty"]
    with app.app_context():
        ready.release()
        go.wait()
        tick(svc, moment, owner)


def _round(env: dict, moment: int, clocks: int) -> float:
    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Semaphore(0), spawn.Event()
    processes = [
        spawn.Process(target=_clock, args=(env, moment, f"clock-{n}", ready, go))
        for n in range(clocks)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    started = time.monotonic()
    go.set()
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sp") as tmp, FakeLine() as fake, ExitStack() as up:
        queues = up.enter_context(EmbeddedRedis(Path(tmp) / "queues"))
        cluster = up.enter_context(EmbeddedCluster(Path(tmp) / "cluster", free_ports(3)))
        program = Path(tmp) / "program.toml"
        program.write_text(PROGRAM, encoding="utf-8")
        env = bench_env(
            queues, fake, REDIS_CLUSTER="1", QUEUE_REDIS_URL=queues.url,
            LOYALTY_PROGRAM=str(program), HISTORY_ARCHIVE_DIR=str(Path(tmp) / "archive"),
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        env["REDIS_URL"] = cluster.url
        keys.use_cluster(True)
        settings = Settings.from_env(env)
        client = connect(cluster.url, cluster=True)
        store, ledger = LoyaltyStore(client), Ledger(client, settings.program)
        members = [
            store.register_member(f"U{i:032x}", "b", "ja")[0].member_id for i in range(args.members)
        ]
        start = datetime.fromtimestamp(time.time(), TOKYO).replace(hour=10, minute=30)
        times: dict[int, list[float]] = {1: [], 2: []}
        print(
            f"Daily sweep on a 3-primary Redis Cluster ({len(keys.shards())} shards), "
            f"{args.members:,} members with one expired lot each, {args.rounds} rounds:"
        )
        day = 0
        for _ in range(args.rounds):
            for clocks in (1, 2):
                day += 1
                moment = int(start.timestamp()) + day * 50 * DAY
                for member_id in members:
                    status, _ = ledger.adjust(
                        member_id=member_id, now=moment - 41 * DAY, op_key=f"b:{day}",
                        amount=10, reason="bench",
                    )  # fmt: skip
                    assert status == "applied", status
                seconds = _round(env, moment, clocks)
                balances = sum(int(store.member(m).balance) for m in members[:50])
                assert balances == 0, "the sweep left lots unexpired"
                times[clocks].append(seconds)
                print(
                    f"  {clocks} clock(s): {seconds:6.2f} s "
                    f"({args.members / seconds:,.0f} members/s)"
                )
        one, two = statistics.median(times[1]), statistics.median(times[2])
        print(
            f"  two clocks / one clock: {two / one:.2f} of the time "
            f"(medians {two:.2f} s, {one:.2f} s)"
        )
        keys.use_cluster(False)


if __name__ == "__main__":
    main()
