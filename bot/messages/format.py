"""How points, money, member numbers and moments read in every message and on the card.

The words and units (``pt``, ``¥``, how each language writes a date) are in the catalogue
(texts.py); this module is the one place that puts numbers and moments into them, so the
card, the receipt, the history and the staff's chat all write them the same way.

Moments are shown in the program's time zone: ``local`` turns the Unix seconds the ledger
keeps into that zone, and the other functions write whatever aware datetime they are given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from bot.domain.durations import Duration
from bot.messages.texts import text


def number(value: int) -> str:
    """A count with thousands separators: ``1,234``."""
    return f"{value:,}"


def points(language: str, value: int, *, signed: bool = False) -> str:
    """Points with their unit, ``1,234 pt``; ``signed`` writes the sign of gains too."""
    return text(language, "points_unit", points=f"{value:+,}" if signed else number(value))


def yen(language: str, amount: int) -> str:
    """An amount of money, ``¥1,280``."""
    return text(language, "yen", amount=number(amount))


def member_number(value: str) -> str:
    """A 13-digit member number grouped for reading out: ``2 912345 678903``."""
    return f"{value[0]} {value[1:7]} {value[7:]}"


def local(moment: int, zone: tzinfo) -> datetime:
    """Unix seconds as an aware datetime in ``zone`` (the program's time zone)."""
    return datetime.fromtimestamp(moment, UTC).astimezone(zone)


def clock(moment: datetime) -> str:
    """The time of day, ``10:05``, as both languages write it."""
    return f"{moment:%H:%M}"


def date_time(moment: datetime) -> str:
    """Date and time in full, ``2026-11-22 10:05``, as a receipt shows them in both languages."""
    return f"{moment:%Y-%m-%d %H:%M}"


def short_date(language: str, moment: datetime, *, with_year: bool = False) -> str:
    """Day, month and time, as the language writes them: ``11月22日 10:05``, ``22 Nov 10:05``;
    ``with_year`` for a moment of another year than this one (``22 Nov 2025 10:05``)."""
    return text(
        language,
        "date_format_year" if with_year else "date_format",
        year=moment.year,
        month_name=_month_name(language, moment.month),
        day=moment.day,
        hour=moment.hour,
        minute=moment.minute,
    )


def long_date(language: str, day: date) -> str:
    """A full date (of a ``date`` or a ``datetime``), as the language writes it, with the
    month by name where a number could be read as the day: ``2 Dec 2026``."""
    return text(
        language,
        "date_long",
        year=day.year,
        month_name=_month_name(language, day.month),
        day=day.day,
    )


def _month_name(language: str, month: int) -> str:
    return text(language, "month_names").split(",")[month - 1]


def span(language: str, duration: Duration) -> str:
    """How long a duration of the program file lasts: ``30日間``, ``3 mo``, ``90 s``."""
    if duration.months:
        return text(language, "span_months", n=duration.months)
    seconds = duration.seconds
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return text(language, f"span_{unit}", n=seconds // size)
    return text(language, "span_seconds", n=seconds)
