"""Pure builders of LINE message JSON (dicts), validated by the SDK models before sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.program import CardDesign
from bot.messages.texts import text

#: The card image is 1024x512 (see barcode_image.py).
CARD_ASPECT_RATIO = "2:1"


@dataclass(frozen=True)
class CardView:
    """What the card shows."""

    display_name: str
    number: str
    balance: int
    image_url: str


@dataclass(frozen=True)
class ReceiptView:
    """What an electronic receipt shows."""

    store_name: str
    occurred_at: datetime
    amount: int
    points_earned: int
    points_used: int
    balance: int


def postback(label: str, data: str, display: str | None = None) -> dict[str, Any]:
    """A postback action; ``display`` is echoed in the chat as the shopper's words."""
    action: dict[str, Any] = {"type": "postback", "label": label, "data": data}
    if display:
        action["displayText"] = display
    return action


def text_message(body: str) -> dict[str, Any]:
    """A plain text message."""
    return {"type": "text", "text": body}


def _row(label: str, value: str, *, bold: bool = False) -> dict[str, Any]:
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


def card_message(language: str, design: CardDesign, card: CardView) -> dict[str, Any]:
    """The membership card: the barcode image, member number, name and balance."""
    number = f"{card.number[0]} {card.number[1:7]} {card.number[7:]}"
    bubble = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": design.background,
            "contents": [
                {
                    "type": "text",
                    "text": design.store_name,
                    "color": design.foreground,
                    "weight": "bold",
                    "size": "lg",
                    "wrap": True,
                },
                {
                    "type": "text",
                    "text": text(language, "card_title"),
                    "color": design.foreground,
                    "size": "xs",
                },
            ],
        },
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
                    "wrap": True,
                    "maxLines": 2,
                },
                _row(text(language, "member_number"), number),
                _row(
                    text(language, "points"),
                    text(language, "points_unit", points=f"{card.balance:,}"),
                    bold=True,
                ),
                {
                    "type": "text",
                    "text": text(language, "show_card_hint"),
                    "size": "xs",
                    "color": "#888888",
                    "wrap": True,
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "color": design.background,
                    "action": postback(text(language, "refresh_card"), "action=card"),
                }
            ],
        },
    }
    alt = text(
        language,
        "card_alt",
        store=design.store_name,
        number=card.number,
        balance=f"{card.balance:,}",
    )
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def receipt_message(language: str, design: CardDesign, receipt: ReceiptView) -> dict[str, Any]:
    """An electronic receipt: store, time, amount, points earned and used, new balance."""
    amount = text(language, "yen", amount=f"{receipt.amount:,}")
    rows = [
        _row(text(language, "receipt_store"), receipt.store_name),
        _row(text(language, "receipt_time"), receipt.occurred_at.strftime("%Y-%m-%d %H:%M")),
        _row(text(language, "receipt_amount"), amount, bold=True),
        _row(text(language, "receipt_earned"), f"+{receipt.points_earned:,} pt"),
    ]
    if receipt.points_used:
        rows.append(_row(text(language, "receipt_used"), f"-{receipt.points_used:,} pt"))
    rows += [
        {"type": "separator", "margin": "md"},
        _row(text(language, "receipt_balance"), f"{receipt.balance:,} pt", bold=True),
    ]
    bubble = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": design.background,
            "contents": [
                {
                    "type": "text",
                    "text": text(language, "receipt_title"),
                    "color": design.foreground,
                    "weight": "bold",
                },
                {
                    "type": "text",
                    "text": text(language, "receipt_thanks"),
                    "color": design.foreground,
                    "size": "xs",
                    "wrap": True,
                },
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
    }
    alt = text(
        language,
        "receipt_alt",
        store=receipt.store_name,
        amount=amount,
        earned=f"{receipt.points_earned:,}",
        balance=f"{receipt.balance:,}",
    )
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}
