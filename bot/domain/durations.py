"""Durations in the program file ("30s", "15m", "12h", "90d", "12mo") and calendar arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^(\d{1,6})(s|m|h|d|mo)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Duration:
    """A span of ``seconds`` or of calendar ``months`` (exactly one is non-zero)."""

    seconds: int = 0
    months: int = 0

    def after(self, start: datetime) -> datetime:
        """``start`` plus this duration; months are calendar months in start's time zone."""
        if self.months:
            return add_months(start, self.months)
        return start + timedelta(seconds=self.seconds)

    def approx_seconds(self) -> int:
        """An upper bound in seconds (31 days a month), for TTLs and windows."""
        return self.seconds or self.months * 31 * 86400


def parse_duration(text: str) -> Duration:
    """Parse ``"<n>s|m|h|d|mo"``; raises ValueError naming the accepted forms."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError("a positive duration like '30s', '15m', '12h', '90d' or '12mo'")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "mo":
        return Duration(months=amount)
    return Duration(seconds=amount * _SECONDS[unit])


def add_months(start: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, _days_in_month(year, month))
    return start.replace(year=year, month=month, day=day)


def start_of_next_month(moment: datetime, zone: ZoneInfo) -> datetime:
    """Midnight local time at the start of the month after ``moment``'s month in ``zone``."""
    local = moment.astimezone(zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=zone)


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
