"""The clock process: when the sweep is due, once a day however many clocks, lost jobs found;
two clock processes started at once (as on two hosts) sweep once and keep the queues once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.jobs import clock as clock_process
from bot.jobs.clock import due_day, tick
from tests.conftest import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    PUBLIC_BASE_URL,
    data_env,
    env_for_doubles,
)
from tests.jobs.conftest import DAY, LIFETIME_DAYS, PROGRAM, T0, TOKYO, grant
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
#: What the processes log (bot/jobs/sweep.py, bot/jobs/clock.py, bot/jobs/keeper.py).
SWEPT = re.compile(r"sweep: (\d+) members, (\d+) lots")
SWEPT_ELSEWHERE = "is running or done in another clock"
KEEPING = "keeper: this process keeps the queues"
KEPT_ELSEWHERE = "keeper: another process keeps the queues"


def at(hour: int, minute: int = 0, day: int = 1) -> int:
    return int(datetime(2027, 3, day, hour, minute, tzinfo=TOKYO).timestamp())


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(0, 0), None),
        (at(9, 59), None),
        (at(10, 0), "2027-03-01"),
        (at(23, 59), "2027-03-01"),
        (at(0, 30, day=2), None),  # the next local day, before its send hour
        (at(10, 0, day=2), "2027-03-02"),
    ],
)
def test_sweep_is_due_from_the_send_hour_of_each_local_day(services, moment, expected):
    assert due_day(moment, services.settings.program) == expected


@pytest.mark.single_redis  # a cluster's sweep is shared out by part: tests/jobs/test_sweep_parts.py
def test_two_clocks_sweep_once_a_day(services, new_member, clock, monkeypatch):
    runs: list[int] = []
    monkeypatch.setattr(clock_process, "sweep", lambda svc, now: runs.append(now))
    assert tick(services, at(9, 0), "a") is None
    tick(services, at(10, 0), "a")
    tick(services, at(10, 0), "b")
    tick(services, at(15, 0), "a")
    tick(services, at(10, 0, day=2), "b")
    assert runs == [at(10, 0), at(10, 0, day=2)]


@pytest.mark.single_redis  # on a cluster, by part: tests/jobs/test_sweep_parts.py
def test_a_failed_sweep_is_tried_again_on_the_next_tick(services, monkeypatch):
    attempts: list[int] = []

    def flaky(svc, now):
        attempts.append(now)
        if len(attempts) == 1:
            raise ConnectionError("Redis went away mid-sweep")

    monkeypatch.setattr(clock_process, "sweep", flaky)
    with pytest.raises(ConnectionError):
        tick(services, at(10, 0), "a")
    tick(services, at(10, 1), "a")
    tick(services, at(10, 2), "a")
    assert attempts == [at(10, 0), at(10, 1)]


def test_the_clock_really_sweeps(services, new_member, clock, run_jobs, fake_line):
    member = new_member(points=5)
    moment = clock(T0 + 10 * 86400)
    report = tick(services, moment, "a")
    assert report is not None
    assert report.reminders == 1
    run_jobs()
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_clock_process_starts_ticks_and_stops_on_sigterm(redis_server, fake_line, program_file):
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": fake_line.url,
        "REDIS_URL": redis_server.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SECRET_KEY": "k" * 48,
        "LOYALTY_PROGRAM": str(program_file),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.jobs.clock"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_two_clock_processes_started_at_once_sweep_once_and_keep_the_queues_once(
    services, redis_server, redis_cluster, fake_line, new_member, tmp_path
):
    # Due from midnight: whenever the test runs, today's sweep is due as the clocks start.
    program = tmp_path / "always-due.toml"
    program.write_text(PROGRAM.replace("send_hour = 10", "send_hour = 0"), encoding="utf-8")
    now = int(time.time())
    member = new_member()
    grant(services, member, 5, at=now - LIFETIME_DAYS * DAY - 60)  # expired a minute ago
    today = datetime.fromtimestamp(now, TOKYO).date()
    data = data_env(redis_server, redis_cluster)  # the cluster, on a cluster run
    doubles = env_for_doubles(
        data.pop("REDIS_URL"), fake_line.url, LOYALTY_PROGRAM=str(program), LOG_LEVEL="DEBUG",
        **data,
    )  # fmt: skip
    env = {**os.environ, **doubles}
    logs = [tmp_path / "clock-a.log", tmp_path / "clock-b.log"]
    clocks = []
    for log in logs:
        with log.open("wb") as out:
            clocks.append(subprocess.Popen(
                [sys.executable, "-m", "bot.jobs.clock"], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip

    def texts() -> list[str]:
        return [log.read_text(errors="replace") for log in logs]

    def both_have_looked() -> bool:
        # Each clock has tried the day's sweep and the keeper's lock, and found them or not.
        return all(
            (SWEPT.search(t) or SWEPT_ELSEWHERE in t) and (KEEPING in t or KEPT_ELSEWHERE in t)
            for t in texts()
        )

    try:
        wait_for(both_have_looked, 30, "both clocks at the sweep and the keeper's lock")
        wait_for(lambda: services.notices.run_state(today.isoformat()) == "done", 30, "the sweep")
        for process in clocks:
            os.killpg(process.pid, signal.SIGTERM)
        codes = [process.wait(timeout=15) for process in clocks]
    finally:
        for process in clocks:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    seen = texts()
    assert codes == [0, 0], seen
    if datetime.now(TOKYO).date() != today:
        pytest.skip("the local day changed while the clocks ran: each day has its own sweep")
    sweeps = [m.groups() for t in seen for m in SWEPT.finditer(t)]
    assert sweeps == [("1", "1")], seen  # one sweep, which expired the member's lot
    assert sum(KEEPING in t for t in seen) == 1, seen
    swept_by = next(n for n, t in enumerate(seen) if SWEPT.search(t))
    assert SWEPT_ELSEWHERE in seen[1 - swept_by]
    kept_by = next(n for n, t in enumerate(seen) if KEEPING in t)
    assert KEPT_ELSEWHERE in seen[1 - kept_by]
    assert services.store.member(member.member_id).balance == 0
    assert all("Traceback" not in t for t in seen), seen
