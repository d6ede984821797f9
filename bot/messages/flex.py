"""Pure builders of LINE message JSON (dicts), validated by the SDK models before sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.colours import ink_on
from bot.domain.program import CardDesign
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.postbacks import Postback
from bot.messages.texts import text

#: The card image's aspect ratio (see card_image.py), so the hero shows it uncropped.
CARD_ASPECT_RATIO = "8:5"


@dataclass(frozen=True)
class CardView:
    """What the card shows."""

    display_name: str
    number: str
    balance: int
    image_url: str
    rank_name: str = ""
    rank_color: str = "#9E9E9E"
    #: The soonest expiry (the last moment the points are live) and how many points expire.
    expiring: tuple[datetime, int] | None = None
    #: When the rotating code stops being valid (program time zone); None for static codes.
    valid_until: datetime | None = None


@dataclass(frozen=True)
class ReceiptLine:
    """One item of a receipt, as the till sent it."""

    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class ReceiptView:
    """What an electronic receipt shows."""

    store_name: str
    occurred_at: datetime
    amount: int
    points_earned: int
    points_used: int
    balance: int
    #: The till's transaction id, shown as the receipt number ("" for receipts without one).
    receipt_number: str = ""
    items: tuple[ReceiptLine, ...] = ()
    #: Items the till sent beyond those listed.
    more_items: int = 0
    #: The rank reached by this purchase (name, colour), None when the rank stayed.
    rank_up: tuple[str, str] | None = None


def postback(label: str, data: Postback, display: str | None = None) -> dict[str, Any]:
    """A postback action; ``display`` is echoed in the chat as the shopper's words."""
    action: dict[str, Any] = {"type": "postback", "label": label, "data": data.pack()}
    if display:
        action["displayText"] = display
    return action


def header(
    design: CardDesign, title: str, note: str | None = None, *, note_above: bool = False
) -> dict[str, Any]:
    """A bubble header in the program's colours: a bold title and, optionally, a small note."""
    lines: list[dict[str, Any]] = [
        {"type": "text", "text": title, "color": design.foreground, "weight": "bold", "wrap": True}
    ]
    if note:
        small = {"type": "text", "text": note, "color": design.foreground, "size": "xs"}
        lines.insert(0 if note_above else 1, {**small, "wrap": True, "maxLines": 2})
    return {
        "type": "box",
        "layout": "vertical",
        "backgroundColor": design.background,
        "contents": lines,
    }


def button(
    label: str,
    data: Postback,
    *,
    style: str = "secondary",
    color: str | None = None,
    height: str | None = "sm",
    echo: bool = False,
) -> dict[str, Any]:
    """A postback button; ``echo`` shows the label in the chat as the user's words."""
    made: dict[str, Any] = {
        "type": "button",
        "style": style,
        "action": postback(label, data, label if echo else None),
    }
    if color:
        made["color"] = color
    if height:
        made["height"] = height
    return made


def confirm_message(body: str, yes: dict[str, Any], no: dict[str, Any], alt: str) -> dict[str, Any]:
    """A question to confirm: ``body`` above two buttons side by side (``yes``, then ``no``)."""
    bubble = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": body, "wrap": True}],
        },
        "footer": {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [yes, no]},
    }
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def text_message(body: str) -> dict[str, Any]:
    """A plain text message."""
    return {"type": "text", "text": body}


def row(label: str, value: str, *, bold: bool = False) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "color": "#666666", "flex": 0},
            {
                "type": "text",
                "text": value,
                "size": "sm",
                "align": "end",
                "weight": "bold" if bold else "regular",
                "wrap": True,
            },
        ],
    }


def _rank_badge(name: str, color: str) -> dict[str, Any]:
    """The rank as a small pill in the rank's colour."""
    return {
        "type": "box",
        "layout": "vertical",
        "flex": 0,
        "backgroundColor": color,
        "cornerRadius": "md",
        "paddingStart": "md",
        "paddingEnd": "md",
        "paddingTop": "xs",
        "paddingBottom": "xs",
        "contents": [
            {
                "type": "text",
                "text": name or "-",
                "size": "xs",
                "weight": "bold",
                "color": ink_on(color),
            }
        ],
    }


def card_message(language: str, design: CardDesign, card: CardView) -> dict[str, Any]:
    """The membership card: image, name, rank, balance, soonest expiry, code validity."""
    hint = "show_card_hint_rotating" if card.valid_until else "show_card_hint"
    bubble = {
        "type": "bubble",
        "hero": {
            "type": "image",
            "url": card.image_url,
            "size": "full",
            "aspectRatio": CARD_ASPECT_RATIO,
            "aspectMode": "fit",
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "text",
                    "text": card.display_name or "-",
                    "weight": "bold",
                    "size": "lg",
                    "wrap": True,
                    "maxLines": 2,
                },
                {"type": "separator", "margin": "md"},
                *_card_rows(language, card),
                {
                    "type": "text",
                    "text": text(language, hint),
                    "size": "xs",
                    "color": "#888888",
                    "wrap": True,
                    "margin": "md",
                },
            ],
        },
        "footer": _card_footer(language, design),
    }
    alt = text(
        language,
        "card_alt",
        store=design.store_label(language),
        number=card.number,
        balance=fmt.number(card.balance),
        rank=card.rank_name,
    )
    if card.valid_until:
        alt += text(language, "card_alt_until", time=fmt.clock(card.valid_until))
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def _card_rows(language: str, card: CardView) -> list[dict[str, Any]]:
    """Rank, balance, soonest expiry, code validity and member number."""
    if card.expiring is None:
        expiring = text(language, "card_nothing_expiring")
    else:
        last, points = card.expiring
        day = fmt.long_date(language, last)
        expiring = text(language, "card_expiring", points=fmt.number(points), date=day)
    rows: list[dict[str, Any]] = [
        {
            "type": "box",
            "layout": "horizontal",
            "alignItems": "center",
            "contents": [
                {"type": "text", "text": text(language, "rank"), "size": "sm", "color": "#666666"},
                _rank_badge(card.rank_name, card.rank_color),
            ],
        },
        row(text(language, "points"), fmt.points(language, card.balance), bold=True),
        row(text(language, "expiring"), expiring),
    ]
    if card.valid_until:
        rows.append(row(text(language, "code_valid"), fmt.clock(card.valid_until), bold=True))
    rows.append(row(text(language, "member_number"), fmt.member_number(card.number)))
    return rows


def _card_footer(language: str, design: CardDesign) -> dict[str, Any]:
    """Refresh the card (a new code), and the way to points and history."""
    refresh = text(language, "refresh_card")
    return {
        "type": "box",
        "layout": "vertical",
        "spacing": "sm",
        "contents": [
            button(
                refresh, postbacks.Card(), style="primary", color=design.background, height=None
            ),
            {
                "type": "box",
                "layout": "horizontal",
                "spacing": "sm",
                "contents": [
                    button(text(language, "points_button"), postbacks.Points()),
                    button(text(language, "history_button"), postbacks.History()),
                ],
            },
        ],
    }


def receipt_message(language: str, design: CardDesign, receipt: ReceiptView) -> dict[str, Any]:
    """An electronic receipt: the store, time and receipt number, the items, the amount, the
    points used and what was paid after them, the points earned, the new balance and a rank
    reached."""
    amount = fmt.yen(language, receipt.amount)
    earned = fmt.points(language, receipt.points_earned, signed=True)
    rows: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": text(language, "receipt_thanks"),
            "size": "xs",
            "color": "#888888",
            "wrap": True,
        },
        row(text(language, "receipt_store"), receipt.store_name),
        row(text(language, "receipt_time"), fmt.date_time(receipt.occurred_at)),
    ]
    if receipt.receipt_number:
        rows.append(row(text(language, "receipt_number"), receipt.receipt_number))
    if receipt.items:
        rows.append({"type": "separator", "margin": "md"})
        rows += [_item_row(language, item) for item in receipt.items]
        if receipt.more_items:
            more = text(language, "receipt_more_items", count=fmt.number(receipt.more_items))
            rows.append({"type": "text", "text": more, "size": "xs", "color": "#888888"})
        rows.append({"type": "separator", "margin": "md"})
    rows.append(row(text(language, "receipt_amount"), amount, bold=True))
    if receipt.points_used:
        used = fmt.points(language, -receipt.points_used, signed=True)
        paid = fmt.yen(language, max(receipt.amount - receipt.points_used, 0))
        rows.append(row(text(language, "receipt_used"), used))
        rows.append(row(text(language, "receipt_paid"), paid, bold=True))
    rows += [
        row(text(language, "receipt_earned"), earned),
        {"type": "separator", "margin": "md"},
        row(text(language, "receipt_balance"), fmt.points(language, receipt.balance), bold=True),
    ]
    if receipt.rank_up:
        rows.append(_rank_up(language, *receipt.rank_up))
    title = text(language, "receipt_title")
    bubble = {
        "type": "bubble",
        "header": header(design, title, design.store_label(language), note_above=True),
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
    }
    alt = text(
        language,
        "receipt_alt",
        store=receipt.store_name,
        amount=amount,
        earned=fmt.number(receipt.points_earned),
        balance=fmt.number(receipt.balance),
    )
    if receipt.rank_up:
        alt += text(language, "receipt_alt_rank", rank=receipt.rank_up[0])
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def _item_row(language: str, item: ReceiptLine) -> dict[str, Any]:
    """``name ×2 ... ¥560``: the item, its quantity and its line total."""
    label = text(language, "receipt_item", name=item.name, quantity=fmt.number(item.quantity))
    total = fmt.yen(language, item.quantity * item.unit_price)
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "wrap": True, "flex": 3},
            {"type": "text", "text": total, "size": "sm", "align": "end", "flex": 1},
        ],
    }


def _rank_up(language: str, name: str, color: str) -> dict[str, Any]:
    """The rank a purchase reached, as the card's badge shows it."""
    return {
        "type": "box",
        "layout": "horizontal",
        "margin": "md",
        "alignItems": "center",
        "contents": [
            {
                "type": "text",
                "text": text(language, "receipt_rank_up"),
                "size": "sm",
                "weight": "bold",
                "wrap": True,
            },
            _rank_badge(name, color),
        ],
    }
