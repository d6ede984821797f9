"""Pure builders of the pushed expiry messages: the reminder before, the notice after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.program import CardDesign
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import button, header
from bot.messages.texts import text

#: How many expiry dates an expired-points notice names (the rest are in the history).
MAX_DATES_SHOWN = 3
MAX_ALT_TEXT = 1500


@dataclass(frozen=True)
class ReminderView:
    """Points that can be used until ``last_day`` and then expire."""

    points: int
    last_day: date
    balance: int


@dataclass(frozen=True)
class ExpiredView:
    """Points that expired, the last days they could be used, and the balance left."""

    points: int
    last_days: tuple[date, ...]
    balance: int


def reminder_message(language: str, design: CardDesign, view: ReminderView) -> dict[str, Any]:
    """The reminder: how many points expire after which day, and the balance."""
    day = fmt.long_date(language, view.last_day)
    bubble = _bubble(
        language,
        design,
        title=text(language, "reminder_title"),
        points=view.points,
        lead=text(language, "reminder_lead", date=day),
        balance=view.balance,
        hint=text(language, "reminder_hint"),
    )
    alt = text(
        language,
        "reminder_alt",
        store=design.store_label(language),
        points=fmt.number(view.points),
        date=day,
    )
    return {"type": "flex", "altText": alt[:MAX_ALT_TEXT], "contents": bubble}


def expired_message(language: str, design: CardDesign, view: ExpiredView) -> dict[str, Any]:
    """The notice: how many points expired (valid until which days) and the balance left."""
    days = sorted(view.last_days)
    shown = ", ".join(fmt.long_date(language, d) for d in days[-MAX_DATES_SHOWN:])
    bubble = _bubble(
        language,
        design,
        title=text(language, "expired_title"),
        points=view.points,
        lead=text(language, "expired_lead", dates=shown),
        balance=view.balance,
        hint=None,
    )
    alt = text(
        language,
        "expired_alt",
        store=design.store_label(language),
        points=fmt.number(view.points),
        balance=fmt.number(view.balance),
    )
    return {"type": "flex", "altText": alt[:MAX_ALT_TEXT], "contents": bubble}


def _bubble(
    language: str,
    design: CardDesign,
    *,
    title: str,
    points: int,
    lead: str,
    balance: int,
    hint: str | None,
) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "text", "text": lead, "wrap": True, "size": "sm"},
        {
            "type": "text",
            "text": fmt.points(language, points),
            "weight": "bold",
            "size": "xxl",
            "color": design.accent,
        },
        {"type": "separator", "margin": "md"},
        {
            "type": "box",
            "layout": "horizontal",
            "margin": "md",
            "contents": [
                {"type": "text", "text": text(language, "balance_now"), "size": "sm"},
                {
                    "type": "text",
                    "text": fmt.points(language, balance),
                    "size": "sm",
                    "align": "end",
                    "weight": "bold",
                },
            ],
        },
    ]
    if hint:
        body.append({"type": "text", "text": hint, "size": "xs", "color": "#888888", "wrap": True})
    return {
        "type": "bubble",
        "header": header(design, title, design.store_label(language), note_above=True),
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                button(
                    text(language, "see_points"),
                    postbacks.Points(),
                    style="primary",
                    color=design.background,
                ),
                button(text(language, "notice_settings"), postbacks.Settings(), style="link"),
            ],
        },
    }
