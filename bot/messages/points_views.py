"""Pure builders of the points summary and the history carousel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.program import CardDesign
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import button, header
from bot.messages.texts import text

#: Entries per history bubble and bubbles per carousel (LINE allows 12 bubbles, 50 KB).
ENTRIES_PER_BUBBLE = 8
MAX_BUBBLES = 3


@dataclass(frozen=True)
class PointsView:
    """What the points summary shows."""

    balance: int
    rank_name: str
    rank_color: str
    next_rank_name: str | None
    spend_needed: int
    expiring: tuple[tuple[datetime, int], ...]


@dataclass(frozen=True)
class HistoryLine:
    """One history entry as the shopper reads it."""

    at: datetime
    label: str
    points: int
    balance: int


def _pair(left: str, right: str, *, bold: bool = False, color: str = "#111111") -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {"type": "text", "text": left, "size": "sm", "color": "#666666", "wrap": True},
            {
                "type": "text",
                "text": right,
                "size": "sm",
                "align": "end",
                "color": color,
                "weight": "bold" if bold else "regular",
            },
        ],
    }


def points_message(language: str, design: CardDesign, view: PointsView) -> dict[str, Any]:
    """The points summary: balance, rank, the way to the next rank, what expires first."""
    if view.next_rank_name:
        amount = fmt.yen(language, view.spend_needed)
        progress = text(language, "next_rank", amount=amount, rank=view.next_rank_name)
    else:
        progress = text(language, "top_rank")
    expiring: list[dict[str, Any]] = [
        _pair(
            text(language, "expiring_row", date=fmt.long_date(language, when)),
            fmt.points(language, points),
        )
        for when, points in view.expiring
    ] or [{"type": "text", "text": text(language, "nothing_expiring"), "size": "sm", "wrap": True}]
    bubble = {
        "type": "bubble",
        "header": header(design, text(language, "points_title")),
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "contents": [
                {
                    "type": "text",
                    "text": fmt.points(language, view.balance),
                    "size": "3xl",
                    "weight": "bold",
                    "align": "center",
                },
                _pair(text(language, "rank"), view.rank_name, bold=True, color=view.rank_color),
                {"type": "text", "text": progress, "size": "xs", "color": "#888888", "wrap": True},
                {"type": "separator"},
                {
                    "type": "text",
                    "text": text(language, "expiring"),
                    "size": "sm",
                    "weight": "bold",
                },
                *expiring,
            ],
        },
        "footer": {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": [
                button(text(language, "history_button"), postbacks.History()),
                button(text(language, "refresh_card"), postbacks.Card()),
            ],
        },
    }
    alt = text(language, "points_alt", balance=fmt.number(view.balance), rank=view.rank_name)
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def _history_bubble(
    language: str, design: CardDesign, lines: list[HistoryLine], this_year: int | None
) -> dict:
    rows: list[dict[str, Any]] = []
    for line in lines:
        sign_color = "#1B8F3A" if line.points > 0 else "#C0392B" if line.points else "#666666"
        change = fmt.points(language, line.points, signed=True)
        balance = text(language, "history_balance", balance=fmt.points(language, line.balance))
        when = fmt.short_date(language, line.at, with_year=line.at.year != this_year)
        rows.append(
            {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    _pair(line.label[:60], change, bold=True, color=sign_color),
                    {
                        "type": "text",
                        "text": f"{when}  ·  {balance}",
                        "size": "xxs",
                        "color": "#999999",
                    },
                ],
            }
        )
    return {
        "type": "bubble",
        "header": header(design, text(language, "history_title")),
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": rows},
    }


def history_message(
    language: str,
    design: CardDesign,
    lines: list[HistoryLine],
    older: postbacks.History | None,
    this_year: int | None = None,
) -> dict[str, Any]:
    """Up to ``MAX_BUBBLES`` pages of history; ``older`` is the postback for the rest. Rows of
    another year than ``this_year`` (the shopper's now) name their year."""
    if not lines:
        return {"type": "text", "text": text(language, "history_empty")}
    pages = [lines[i : i + ENTRIES_PER_BUBBLE] for i in range(0, len(lines), ENTRIES_PER_BUBBLE)]
    bubbles = [_history_bubble(language, design, page, this_year) for page in pages[:MAX_BUBBLES]]
    if older:
        bubbles[-1]["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [button(text(language, "history_older"), older)],
        }
    alt = text(language, "history_alt", count=len(lines))
    return {"type": "flex", "altText": alt, "contents": {"type": "carousel", "contents": bubbles}}
