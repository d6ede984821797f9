"""One way to write points, money, member numbers and moments, in both languages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.messages import format as fmt
from bot.messages.points_views import HistoryLine, history_message
from tests.support.flex import texts_in

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
    [("ja", "3月5日 08:07", "2026年3月5日"), ("en", "5 Mar 08:07", "5 Mar 2026")],
)
def test_dates_as_each_language_writes_them(language, short, long):
    moment = datetime(2026, 3, 5, 8, 7, tzinfo=TOKYO)
    assert fmt.short_date(language, moment) == short
    assert fmt.long_date(language, moment) == long
    assert fmt.long_date(language, date(2026, 3, 5)) == long


@pytest.mark.parametrize(
    ("language", "expected"), [("ja", "2025年12月2日 23:59"), ("en", "2 Dec 2025 23:59")]
)
def test_a_moment_of_another_year_names_the_year(language, expected):
    moment = datetime(2025, 12, 2, 23, 59, tzinfo=TOKYO)
    assert fmt.short_date(language, moment, with_year=True) == expected


def test_english_dates_cannot_be_read_month_first():
    # 2/12 reads as 12 February in the US and 2 December elsewhere; a month name cannot.
    assert fmt.long_date("en", date(2026, 12, 2)) == "2 Dec 2026"
    months = [fmt.long_date("en", date(2026, m, 1)).split()[1] for m in range(1, 13)]
    assert months == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]


def test_history_rows_label_the_balance_and_name_another_years_date():
    design = load_program(DEFAULT_PROGRAM).card
    lines = [
        HistoryLine(datetime(2026, 12, 2, 10, 5, tzinfo=TOKYO), "お買い上げ", 12, 1234),
        HistoryLine(datetime(2025, 12, 2, 10, 5, tzinfo=TOKYO), "お買い上げ", 12, 1222),
    ]
    ja = texts_in(history_message("ja", design, lines, None, this_year=2026)["contents"])
    assert "12月2日 10:05  ·  残高 1,234 pt" in ja
    assert "2025年12月2日 10:05  ·  残高 1,222 pt" in ja
    en = texts_in(history_message("en", design, lines, None, this_year=2026)["contents"])
    assert "2 Dec 10:05  ·  balance 1,234 pt" in en
    assert "2 Dec 2025 10:05  ·  balance 1,222 pt" in en
