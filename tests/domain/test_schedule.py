"""Quiet hours, the sweep's day and the last day of use: pure local-time rules."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.program import ProgramError, parse_program
from bot.domain.schedule import (
    QuietHours,
    last_day_of_use,
    parse_quiet_hours,
    sweep_day,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NIGHT = QuietHours(time(21), time(9))


def tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("moment", "resume"),
    [
        (tokyo(1, 20, 59), None),
        (tokyo(1, 21, 0), tokyo(2, 9)),
        (tokyo(1, 23, 30), tokyo(2, 9)),
        (tokyo(2, 0, 0), tokyo(2, 9)),
        (tokyo(2, 8, 59), tokyo(2, 9)),
        (tokyo(2, 9, 0), None),
        (tokyo(2, 12, 0), None),
    ],
)
def test_quiet_hours_across_midnight(moment, resume):
    assert NIGHT.resume_at(moment) == resume
    assert NIGHT.contains(moment) is (resume is not None)


def test_quiet_hours_within_a_day():
    lunch = QuietHours(time(12), time(13, 30))
    assert lunch.resume_at(tokyo(1, 11, 59)) is None
    assert lunch.resume_at(tokyo(1, 12, 15)) == tokyo(1, 13, 30)
    assert lunch.resume_at(tokyo(1, 13, 30)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("21:00-09:00", NIGHT), ("00:00-06:30", QuietHours(time(0), time(6, 30))), ("off", None)],
)
def test_parse_quiet_hours(text, expected):
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["21-9", "24:00-09:00", "09:00-09:00", "", "21:00 - 09:00", 9])
def test_bad_quiet_hours_name_the_key(text):
    raw = {"program": {"name": "x"}, "reminders": {"quiet_hours": text}}
    with pytest.raises(ProgramError) as caught:
        parse_program(raw)
    [problem] = caught.value.problems
    assert problem.startswith(f"program: reminders.quiet_hours = {text!r} must be")


def test_quiet_hours_default_to_the_night():
    assert parse_program({"program": {"name": "x"}}).reminders.quiet_hours == NIGHT


def test_sweep_day():
    assert sweep_day(tokyo(1, 9, 59), 10) is None
    assert sweep_day(tokyo(1, 10), 10) == date(2027, 3, 1)
    assert sweep_day(tokyo(1, 0), 0) == date(2027, 3, 1)


def test_last_day_of_use_is_the_day_before_a_midnight_expiry():
    assert last_day_of_use(int(tokyo(1, 0).timestamp()), TOKYO) == date(2027, 2, 28)
    assert last_day_of_use(int(tokyo(1, 10).timestamp()), TOKYO) == date(2027, 3, 1)
