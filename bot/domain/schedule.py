"""Local-time rules for pushes: quiet hours and the hour of the daily sweep. Times passed in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
#: The value of ``reminders.quiet_hours`` that turns quiet hours off.
OFF = "off"


@dataclass(frozen=True)
class QuietHours:
    """A daily local span ``[start, end)`` in which non-urgent pushes wait; may cross midnight."""

    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` (in the program's zone) falls inside the quiet span."""
        now = moment.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def resume_at(self, moment: datetime) -> datetime | None:
        """When the quiet span around ``moment`` ends (same zone), or None if it is not quiet."""
        if not self.contains(moment):
            return None
        end = datetime.combine(moment.date(), self.end, tzinfo=moment.tzinfo)
        if end <= moment:
            end = datetime.combine(
                moment.date() + timedelta(days=1), self.end, tzinfo=moment.tzinfo
            )
        return end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours | None:
    """Parse ``"HH:MM-HH:MM"`` (local time) or ``"off"``; raises ValueError naming the forms."""
    if text == OFF:
        return None
    match = _SPAN.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError("a local time span like '21:00-09:00', or 'off'")
    start = time(int(match.group(1)), int(match.group(2)))
    end = time(int(match.group(3)), int(match.group(4)))
    if start == end:
        raise ValueError("a span whose start and end differ (use 'off' for no quiet hours)")
    return QuietHours(start, end)


def sweep_day(moment: datetime, send_hour: int) -> date | None:
    """The local day whose sweep is due at ``moment`` (its zone), or None before ``send_hour``."""
    return moment.date() if moment.hour >= send_hour else None


def last_day_of_use(expires_at: int, zone: tzinfo) -> date:
    """The last local day on which a lot expiring at ``expires_at`` (unix s) can be used."""
    # A lot is live until its expiry instant: one expiring at midnight was usable the day before.
    return datetime.fromtimestamp(expires_at - 1, zone).date()
