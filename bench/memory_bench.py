"""Redis memory per member and per ledger entry, through the POS API (P4).

    .venv/bin/python -m bench.memory_bench [--members 100000]

Members are registered as the follow handler registers them; every sale is a real
``POST /api/v1/transactions`` through the app (Flask's test client, in this process): the
transaction binding, the idempotency record, the receipt in the outbox and its index, the lot,
the due index, the spend window and the activity indexes all written by the real path. The
program is the bundled example with ``code_mode = "static"`` (a rotating code also leaves a
use record for its window, minutes). Memory is ``INFO memory`` ``used_memory`` deltas over
all members, and ``MEMORY USAGE`` of one member's keys for where it goes.

Phases: registered; one sale each (receipts still in the outbox, then pushed: outbox entries
moved and the push queue emptied, as the pusher leaves it); five more sales for a tenth of the
members (the figure per further entry); the records and bindings gone (what Redis does 90 and
91 days on); then the daily sweep 24 months and 2 days later, which archives every sale's
history entries (and expires the lots, adding one ``expire`` entry each).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bench.common import bench_env
from bot import create_app
from bot.config import DEFAULT_PROGRAM, Settings
from bot.jobs.outbox import relay
from bot.jobs.queue import event_queue, queue
from bot.jobs.sweep import sweep
from bot.store import keys
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

#: The goals of P4 (BENCHMARKS.md), bytes.
MEMBER_GOAL, ENTRY_GOAL = 400, 200
DAY = 86400


def _program(folder: Path) -> Path:
    text = DEFAULT_PROGRAM.read_text(encoding="utf-8")
    path = folder / "program.toml"
    path.write_text(text.replace('code_mode = "rotating"', 'code_mode = "static"'), "utf-8")
    assert 'code_mode = "static"' in path.read_text(encoding="utf-8")
    logo = DEFAULT_PROGRAM.parent / "logo.png"
    if logo.exists():
        (folder / "logo.png").write_bytes(logo.read_bytes())
    return path


def _line(label: str, value: float, goal: int | None = None) -> str:
    against = f"   goal <= {goal} B: {'met' if value <= goal else 'NOT met'}" if goal else ""
    return f"  {label:<52} {value:8.0f} B{against}"


def run(count: int, folder: Path, fake: FakeLine) -> None:
    server = EmbeddedRedis(folder / "redis").start()
    try:
        env = bench_env(
            server,
            fake,
            LOYALTY_PROGRAM=str(_program(folder)),
            HISTORY_ARCHIVE_DIR=str(folder / "archive"),
            POS_RATE_LIMIT_PER_MINUTE="1000000",
        )
        app = create_app({"SETTINGS": Settings.from_env(env)})
        svc = app.extensions["loyalty"]
        _measure(app, svc, count, folder)
    finally:
        server.stop()


def _measure(app, svc, count: int, folder: Path) -> None:
    redis = svc.store.redis
    now = int(time.time())
    svc.clock = lambda: now
    key = svc.store.add_store("S001", "Bench")
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()

    def used() -> int:
        """``used_memory`` once it has settled: Redis frees some memory in its cron, a second on."""
        last, steady = int(redis.info("memory")["used_memory"]), 0
        while steady < 3:
            time.sleep(0.2)
            now_ = int(redis.info("memory")["used_memory"])
            steady = steady + 1 if now_ == last else 0
            last = now_
        return last

    def sell(number: str, txn: str, amount: int) -> None:
        body = {"transaction_id": txn, "card_code": number, "amount": amount}
        response = client.post("/api/v1/transactions", json=body, headers=headers)
        assert response.status_code == 201, response.json

    def pushed() -> None:
        """Receipts delivered: the relay moves them to the queue, the pusher empties it."""
        with app.app_context():
            while relay(svc, now):
                pass
            for q in (queue(svc), event_queue(svc)):
                q.empty()
                scheduled = ScheduledJobRegistry(queue=q)  # notices wait for their slot
                for job_id in scheduled.get_job_ids():
                    Job.fetch(job_id, connection=svc.queue_redis).delete()

    started = time.monotonic()
    base = used()
    members = []
    for i in range(count):
        member, _ = svc.store.register_member(f"U{i:032x}", "Shopper", "ja")
        members.append(member)
    registered = used()
    for i, member in enumerate(members):
        sell(member.number, f"T{i:08d}", 1280)
    sold = used()
    pushed()
    sold_pushed = used()
    sample = members[: max(count // 10, 1)]
    for round_ in range(5):
        svc.clock = lambda r=round_: now + 1 + r
        for i, member in enumerate(sample):
            sell(member.number, f"X{round_}-{i:08d}", 980)
    pushed()
    more = used()
    further = 5 * len(sample)
    breakdown = _usage(redis, members[0])
    # What Redis does 90 (records) and 91 (bindings) days on: the first sales', then the others'.
    redis.delete(*(name for i, m in enumerate(members) for name in _sale_keys(m, f"T{i:08d}")))
    first_expired = used()
    redis.delete(*(name for i, m in enumerate(sample) for r in range(5)
                   for name in _sale_keys(m, f"X{r}-{i:08d}")))  # fmt: skip
    expired = used()
    per_entry_after = (more - sold_pushed - (first_expired - expired)) / further
    history_before = sum(redis.llen(keys.member_ledger(m.member_id).history) for m in sample)
    later = now + 733 * DAY  # 24 months and 2 days: every sale is past the retention
    svc.clock = lambda: later
    swept_at = time.monotonic()
    with app.app_context():
        report = sweep(svc, later)
    sweep_seconds = time.monotonic() - swept_at
    pushed()
    trimmed = used()
    history_after = sum(redis.llen(keys.member_ledger(m.member_id).history) for m in sample)
    archive = sum(p.stat().st_size for p in (folder / "archive").glob("*.jsonl"))

    print(f"Redis memory through the POS API, {count:,} members (Redis "
          f"{redis.info('server')['redis_version']}, used_memory deltas), "
          f"{time.monotonic() - started:.0f} s:")  # fmt: skip
    print(_line("per member, no purchases", (registered - base) / count, MEMBER_GOAL))
    print(_line("per first sale, receipt still in the outbox", (sold - registered) / count))
    print(_line("per first sale, receipt pushed", (sold_pushed - registered) / count))
    print(_line("per further sale (1 entry), within the record window", (more - sold_pushed)
                / further))  # fmt: skip
    print(_line("per further sale (1 entry) after the record window", per_entry_after,
                ENTRY_GOAL))  # fmt: skip
    print(_line("per first sale after the record window", (first_expired - registered
                - (more - sold_pushed)) / count))  # fmt: skip
    print(f"  one member with 6 sales, by key (MEMORY USAGE): {breakdown}")
    print(f"Daily sweep {733} days later ({sweep_seconds:.0f} s): {report.history_archived:,} "
          f"entries archived, {report.lots_expired:,} lots expired")  # fmt: skip
    print(
        f"  history entries of the {len(sample):,} members with 6 sales: before trim "
        f"{history_before:,}, after trim {history_after:,} (the expire entries of today)"
    )
    print(_line("per member before trim (records expired)", (expired - base) / count))
    print(_line("per member after trim", (trimmed - base) / count))
    print(
        f"  archive on disk: {archive / max(report.history_archived, 1):.0f} B per entry, "
        f"{archive / 1e6:.1f} MB in all"
    )


def _sale_keys(member, txn: str) -> list[str]:
    """The keys of a sale that expire: its idempotency record and its transaction binding."""
    op = keys.purchase_op("S001", txn)
    return [keys.operation_record(member.member_id, op), keys.store_transaction("S001", txn)]


def _usage(redis, member) -> str:
    """MEMORY USAGE of each key of one member that has any."""
    ledger = keys.member_ledger(member.member_id)
    first = keys.purchase_op("S001", "T00000000")
    named = {"member": ledger.member, "lots": ledger.lots, "lotdata": ledger.lot_data,
             "history": ledger.history, "ops": ledger.ops, "spend": ledger.spend,
             "outbox": keys.outbox(member.member_id),
             "record": keys.operation_record(member.member_id, first),
             "binding": keys.store_transaction("S001", "T00000000"),
             "card number": keys.card_number(member.number)}  # fmt: skip
    sizes = {name: redis.memory_usage(key) for name, key in named.items()}
    return ", ".join(f"{name} {size}" for name, size in sizes.items() if size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mb") as tmp, FakeLine(access_token="bench") as fake:  # noqa: S106
        run(args.members, Path(tmp), fake)


if __name__ == "__main__":
    main()
