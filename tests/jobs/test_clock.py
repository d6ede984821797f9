"""The clock process: when the sweep is due, once a day however many clocks, lost jobs found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.jobs import clock as clock_process
from bot.jobs.clock import due_day, tick
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, PUBLIC_BASE_URL
from tests.jobs.conftest import T0, TOKYO


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


def test_two_clocks_sweep_once_a_day(services, new_member, clock, monkeypatch):
    runs: list[int] = []
    monkeypatch.setattr(clock_process, "sweep", lambda svc, now: runs.append(now))
    assert tick(services, at(9, 0), "a") is None
    tick(services, at(10, 0), "a")
    tick(services, at(10, 0), "b")
    tick(services, at(15, 0), "a")
    tick(services, at(10, 0, day=2), "b")
    assert runs == [at(10, 0), at(10, 0, day=2)]


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
