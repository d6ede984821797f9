"""One way to write points, money, member numbers and moments, in both languages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.messages import format as fmt

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_points_and_yen_group_thousands(language):
    assert fmt.number(1234567) == "1,234,567"
    assert fmt.points(language, 0) == "0 pt"
    assert fmt.points(language, 1234) == "1,234 pt"
    assert fmt.points(language, 1234, signed=True) == "+1,234 pt"
    assert fmt.points(language, 0, signed=True) == "+0 pt"
    assert fmt.points(language, -50, signed=True) == "-50 pt"
    assert fmt.yen(language, 1280) == "¥1,280"


def test_member_numbers_are_grouped_for_reading_out():
    assert fmt.member_number("2912345678903") == "2 912345 678903"


def test_unix_seconds_are_shown_in_the_programs_time_zone():
    # 2026-11-22 01:05 UTC is 10:05 in Tokyo.
    moment = fmt.local(1_795_309_500, TOKYO)
    assert moment == datetime(2026, 11, 22, 10, 5, tzinfo=TOKYO)
    assert fmt.clock(moment) == "10:05"
    assert fmt.date_time(moment) == "2026-11-22 10:05"


@pytest.mark.parametrize(
    ("language", "short", "long"),
    [("ja", "3月5日 08:07", "2026年3月5日"), ("en", "5/3 08:07", "5/3/2026")],
)
def test_dates_as_each_language_writes_them(language, short, long):
    moment = datetime(2026, 3, 5, 8, 7, tzinfo=TOKYO)
    assert fmt.short_date(language, moment) == short
    assert fmt.long_date(language, moment) == long
    assert fmt.long_date(language, date(2026, 3, 5)) == long
