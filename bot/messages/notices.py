"""Pure builders of pushed notices: the expiry reminder before, the notice after, and the
notice that points changed without a purchase (refund, undo, adjustment)."""

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


@dataclass(frozen=True)
class ChangeView:
    """Points that changed without a purchase: a refund (``refund``), a staff member's undo
    (``undo``) or an admin's adjustment (``adjustment``)."""

    why: str
    balance: int
    #: The store and receipt number of a refund or undo.
    store_name: str = ""
    receipt: str = ""
    #: The reason of an adjustment, and its signed points.
    reason: str = ""
    adjusted: int = 0
    #: What a refund gave back (points it used) and took back (points it earned).
    restored: int = 0
    reversed: int = 0

    @property
    def change(self) -> int:
        """The points gained (positive) or lost (negative)."""
        return self.adjusted + self.restored - self.reversed


def change_message(language: str, design: CardDesign, view: ChangeView) -> dict[str, Any]:
    """The notice that points changed without a purchase: why, by how much, the balance."""
    lead = text(
        language,
        f"change_{view.why}",
        store=view.store_name,
        receipt=view.receipt,
        reason=view.reason,
    )
    rows: list[dict[str, Any]] = []
    for key, points in (
        ("change_restored", view.restored),
        ("change_reversed", -view.reversed),
        ("change_adjusted", view.adjusted),
    ):
        if points:
            rows.append(_line(text(language, key), fmt.points(language, points, signed=True)))
    body: list[dict[str, Any]] = [
        {"type": "text", "text": lead, "wrap": True, "size": "sm"},
        *rows,
        {"type": "separator", "margin": "md"},
        _line(text(language, "balance_now"), fmt.points(language, view.balance), bold=True),
    ]
    store = design.store_label(language)
    bubble = {
        "type": "bubble",
        "header": header(design, text(language, "change_title"), store, note_above=True),
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [button(text(language, "see_points"), postbacks.Points(), style="link")],
        },
    }
    alt = text(
        language,
        "change_alt",
        store=store,
        points=fmt.points(language, view.change, signed=True),
        balance=fmt.number(view.balance),
    )
    return {"type": "flex", "altText": alt[:MAX_ALT_TEXT], "contents": bubble}


def _line(label: str, value: str, *, bold: bool = False) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "wrap": True, "flex": 3},
            {
                "type": "text",
                "text": value,
                "size": "sm",
                "align": "end",
                "flex": 2,
                "weight": "bold" if bold else "regular",
            },
        ],
    }


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
