"""The sweep on a Redis Cluster, shared out by shard among clock processes: each part swept
once a day however many clocks, a failed or abandoned part taken over, the day finished once
every part is done; two real clock processes, one killed in the middle of its part."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot.jobs import clock as clock_process
from bot.jobs.clock import PART_LEASE, PART_RETRY, TICK, pause_after, tick
from bot.jobs.queue import queue
from bot.store import keys
from tests.conftest import ON_CLUSTER, data_env, env_for_doubles
from tests.jobs.conftest import DAY, LIFETIME_DAYS, PROGRAM, TOKYO, grant
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not ON_CLUSTER, reason="the sweep is shared out by shard on a Redis Cluster only"
)

ROOT = clock_process.__file__.rsplit("/bot/", 1)[0]
PARTS_HERE = re.compile(r"sweep of \S+: (\d+) of \d+ parts here: (\d+) members, (\d+) lots")
ALL_DONE = re.compile(r"sweep of \S+: all (\d+) parts done")


def at(hour: int, minute: int = 0, day: int = 1) -> int:
    return int(datetime(2027, 3, day, hour, minute, tzinfo=TOKYO).timestamp())


@pytest.fixture
def parts_swept(monkeypatch):
    """Records every part swept, as (day's moment, shard), instead of sweeping it."""
    runs: list[tuple[int, str]] = []

    def record(svc, now, part, stagger, *, on_batch):
        on_batch()
        runs.append((now, part))
        return clock_process.NOTHING

    monkeypatch.setattr(clock_process, "sweep_part", record)
    return runs


def test_two_clocks_sweep_each_part_once_a_day(services, parts_swept):
    assert tick(services, at(9, 0), "a") is None
    tick(services, at(10, 0), "a")
    tick(services, at(10, 0), "b")
    tick(services, at(15, 0), "b")
    tick(services, at(10, 0, day=2), "b")
    tick(services, at(11, 0, day=2), "a")
    shards = keys.shards()
    assert Counter(parts_swept) == Counter(
        [(at(10, 0), s) for s in shards] + [(at(10, 0, day=2), s) for s in shards]
    )
    assert services.notices.run_state("2027-03-01") == "done"
    assert services.notices.run_state("2027-03-02") == "done"


def test_a_part_leased_by_another_clock_is_left_to_it_and_the_day_waits(services, parts_swept):
    day, held = "2027-03-01", keys.shards()[7]
    other = services.notices.part_lease(day, held, PART_LEASE)
    assert other.acquire(blocking=False)
    tick(services, at(10, 0), "a")
    assert held not in {part for _, part in parts_swept}
    assert len(parts_swept) == len(keys.shards()) - 1
    assert services.notices.run_state(day) is None  # not done while a part is out
    assert pause_after(services, at(10, 0)) == PART_RETRY  # so look again soon
    other.release()  # that clock stopped (or its lease ran out) before finishing
    tick(services, at(10, 1), "a")
    assert parts_swept[-1] == (at(10, 1), held)
    assert services.notices.run_state(day) == "done"
    assert pause_after(services, at(10, 1)) == TICK
    assert pause_after(services, at(9, 0, day=2)) == TICK  # before the next day's send hour


def test_a_failed_part_is_tried_again_on_the_next_tick(services, monkeypatch):
    attempts: list[str] = []
    failing = keys.shards()[3]

    def flaky(svc, now, part, stagger, *, on_batch):
        attempts.append(part)
        if part == failing and attempts.count(part) == 1:
            raise ConnectionError("Redis went away mid-part")
        return clock_process.NOTHING

    monkeypatch.setattr(clock_process, "sweep_part", flaky)
    with pytest.raises(ConnectionError):
        tick(services, at(10, 0), "a")
    assert services.notices.run_state("2027-03-01") is None
    tick(services, at(10, 1), "a")
    assert services.notices.run_state("2027-03-01") == "done"
    assert Counter(attempts) == Counter({**dict.fromkeys(keys.shards(), 1), failing: 2})


def test_a_part_whose_lease_ran_out_is_not_marked_done_by_the_clock_that_lost_it(
    services, monkeypatch
):
    day, lost = "2027-03-01", keys.shards()[0]

    def slow(svc, now, part, stagger, *, on_batch):
        if part == lost:  # the lease ran out during a batch and another clock took the part
            services.store.redis.delete(keys.sweep_part(day, part) + ":lease")
            assert services.notices.part_lease(day, part, PART_LEASE).acquire(blocking=False)
        on_batch()
        return clock_process.NOTHING

    monkeypatch.setattr(clock_process, "sweep_part", slow)
    tick(services, at(10, 0), "a")
    assert not services.notices.part_done(day, lost)
    assert all(services.notices.part_done(day, part) for part in keys.shards() if part != lost)
    assert services.notices.run_state(day) is None


def test_clocks_ticking_at_once_expire_every_lot_once_and_queue_one_notice_each(
    services, new_member, clock
):
    members = [new_member(points=5 + n % 3) for n in range(60)]
    moment = clock(_after_expiry(services, members))
    errors: list[BaseException] = []

    def run(owner: str) -> None:
        try:
            tick(services, moment, owner)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"clock-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert all(services.store.member(m.member_id).balance == 0 for m in members)
    notices = _expired_notices(services)
    assert sorted(notices) == sorted(m.member_id for m in members)
    day = datetime.fromtimestamp(moment, TOKYO).date().isoformat()
    assert services.notices.run_state(day) == "done"


def _after_expiry(services, members) -> int:
    """A send hour after every member's lot expired (the lots were granted at T0)."""
    lots = [lot for m in members for lot in services.ledger.lots(m.member_id)]
    last = max(lot.expires_at for lot in lots)
    return int(datetime.fromtimestamp(last + DAY, TOKYO).replace(hour=10, minute=30).timestamp())


def _expired_notices(services) -> list[str]:
    """The member of every expiry notice queued (waiting or scheduled for its slot)."""
    pushes = queue(services)
    ids = pushes.get_job_ids() + ScheduledJobRegistry(queue=pushes).get_job_ids()
    jobs = [Job.fetch(job_id, connection=services.queue_redis) for job_id in ids]
    return [job.args[1] for job in jobs if job.args and job.args[0] == "expired"]


def test_a_clock_killed_in_the_middle_of_its_part_leaves_it_to_the_other_within_a_minute(
    services, redis_server, redis_cluster, fake_line, new_member, tmp_path
):
    """Two real clock processes with the production tick and lease; the one sweeping is
    SIGKILLed while it holds a part: the other finishes the day, every lot expired once, one
    notice queued per member, within a minute of the kill."""
    program = tmp_path / "always-due.toml"
    program.write_text(PROGRAM.replace("send_hour = 10", "send_hour = 0"), encoding="utf-8")
    now = int(time.time())
    members = [new_member() for _ in range(1500)]
    for member in members:
        grant(services, member, 5, at=now - LIFETIME_DAYS * DAY - 60)  # expired a minute ago
    today = datetime.fromtimestamp(now, TOKYO).date().isoformat()
    data = data_env(redis_server, redis_cluster)
    env = {
        **os.environ,
        **env_for_doubles(
            data.pop("REDIS_URL"), fake_line.url, LOYALTY_PROGRAM=str(program),
            LOG_LEVEL="DEBUG", **data,
        ),
    }  # fmt: skip
    logs = [tmp_path / "clock-a.log", tmp_path / "clock-b.log"]
    clocks: list[subprocess.Popen] = []

    def start(log) -> subprocess.Popen:
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "bot.jobs.clock"], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def leased() -> bool:
        return any(
            services.store.redis.exists(keys.sweep_part(today, part) + ":lease")
            for part in keys.shards()
        )

    try:
        clocks.append(start(logs[0]))
        wait_for(leased, 60, "clock a leasing a part of the sweep")
        os.killpg(clocks[0].pid, signal.SIGKILL)
        killed_at = time.monotonic()
        clocks[0].wait()
        assert leased(), "clock a died between two parts: nothing left to take over"
        clocks.append(start(logs[1]))
        wait_for(lambda: services.notices.run_state(today) == "done", 60,
                 "the day's sweep finished by clock b")  # fmt: skip
        recovered = time.monotonic() - killed_at
        os.killpg(clocks[1].pid, signal.SIGTERM)
        assert clocks[1].wait(timeout=15) == 0
    finally:
        for process in clocks:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if datetime.now(TOKYO).date().isoformat() != today:
        pytest.skip("the local day changed while the clocks ran: each day has its own sweep")
    seen = [log.read_text(errors="replace") for log in logs]
    assert recovered <= 60, seen[1]
    print(f"day finished {recovered:.1f} s after the kill")
    assert all(services.store.member(m.member_id).balance == 0 for m in members)
    notices = Counter(_expired_notices(services))
    assert sorted(notices) == sorted(m.member_id for m in members)
    assert set(notices.values()) == {1}
    assert len(ALL_DONE.findall(seen[1])) == 1, seen[1]
    # Clock b swept what clock a had not and the part clock a had held: in one pass when the
    # lease ran out before the pass reached that part, else on a retry PART_RETRY later.
    lots_by_b = [int(lots) for _, _, lots in PARTS_HERE.findall(seen[1])]
    assert 1 <= len(lots_by_b) <= 2, seen[1]
    assert 0 < sum(lots_by_b) <= len(members), seen[1]
    assert "Traceback" not in seen[1], seen[1]
