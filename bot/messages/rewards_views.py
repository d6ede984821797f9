"""Pure builders of the rewards list, the exchange's confirm step and the tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import ticket_codes
from bot.domain.program import CardDesign
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import button, confirm_message, header, row
from bot.messages.texts import text

#: Most bubbles in a carousel (LINE's limit).
MAX_BUBBLES = 12
#: The ticket image's aspect ratio (bot/imaging/ticket_image.py: 1024 x 600).
TICKET_ASPECT_RATIO = "128:75"
_MUTED = "#888888"


@dataclass(frozen=True)
class OfferView:
    """One reward in the list."""

    key: str
    name: str
    cost: int
    #: How long a ticket lasts once issued, as the language writes it.
    valid: str
    #: Points still needed (0: can exchange now).
    needed: int
    #: Tickets left, or None without a limit.
    left: int | None
    image_url: str | None = None


@dataclass(frozen=True)
class TicketView:
    """One ticket as the shopper sees it."""

    reward_name: str
    code: str
    last_day: date
    image_url: str


def rewards_message(
    language: str, design: CardDesign, balance: int, offers: list[OfferView]
) -> dict[str, Any]:
    """The rewards list: the balance first, then one bubble per reward."""
    first = {
        "type": "bubble",
        "size": "kilo",
        "header": header(design, text(language, "rewards_title")),
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "contents": [
                {"type": "text", "text": text(language, "rewards_balance"), "size": "sm"},
                {
                    "type": "text",
                    "text": fmt.points(language, balance),
                    "size": "xxl",
                    "weight": "bold",
                },
                {
                    "type": "text",
                    "text": text(language, "rewards_lead"),
                    "size": "xs",
                    "color": _MUTED,
                    "wrap": True,
                },
            ],
        },
        "footer": _footer([button(text(language, "rewards_my_tickets"), postbacks.Tickets())]),
    }
    bubbles = [first] + [_offer(language, design, offer) for offer in offers[: MAX_BUBBLES - 1]]
    alt = text(language, "rewards_alt", balance=fmt.number(balance), count=len(offers))
    return {"type": "flex", "altText": alt, "contents": {"type": "carousel", "contents": bubbles}}


def _offer(language: str, design: CardDesign, offer: OfferView) -> dict[str, Any]:
    sold_out = offer.left == 0
    if sold_out:
        status, colour = text(language, "reward_sold_out"), "#D32F2F"
    elif offer.needed:
        needed = fmt.points(language, offer.needed)
        status, colour = text(language, "reward_needed", points=needed), _MUTED
    else:
        status, colour = text(language, "reward_can_exchange"), "#1B7F3B"
    rows: list[dict[str, Any]] = [
        {"type": "text", "text": offer.name, "weight": "bold", "size": "md", "wrap": True},
        row(text(language, "reward_cost"), fmt.points(language, offer.cost), bold=True),
        row(text(language, "reward_valid"), offer.valid),
    ]
    if offer.left is not None and not sold_out:
        rows.append(row("", text(language, "reward_left", left=fmt.number(offer.left))))
    rows.append({"type": "text", "text": status, "size": "xs", "color": colour, "wrap": True})
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
    }
    if offer.image_url:
        bubble["hero"] = {
            "type": "image",
            "url": offer.image_url,
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        }
    if not sold_out and not offer.needed:
        label = text(language, "reward_exchange_button")
        choose = button(
            label, postbacks.Reward(r=offer.key), style="primary", color=design.background
        )
        bubble["footer"] = _footer([choose])
    return bubble


def _footer(contents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "box", "layout": "vertical", "spacing": "sm", "contents": contents}


def exchange_confirm(
    language: str, design: CardDesign, offer: OfferView, balance: int, nonce: str
) -> dict[str, Any]:
    """Exchange or cancel; the exchange button carries the cost shown and a nonce, so a double
    tap or a redelivered postback issues one ticket."""
    cost, after = fmt.points(language, offer.cost), fmt.points(language, balance - offer.cost)
    body = text(
        language,
        "reward_confirm",
        reward=offer.name,
        cost=cost,
        balance=fmt.points(language, balance),
        after=after,
    )
    exchange = postbacks.Exchange(r=offer.key, c=offer.cost, n=nonce)
    return confirm_message(
        body,
        button(
            text(language, "reward_confirm_button"),
            exchange,
            style="primary",
            color=design.background,
            height=None,
            echo=True,
        ),
        button(text(language, "reward_cancel_button"), postbacks.Rewards(), height=None, echo=True),
        text(language, "reward_confirm_alt", reward=offer.name, cost=cost),
    )


def ticket_bubble(language: str, design: CardDesign, ticket: TicketView) -> dict[str, Any]:
    """A ticket: its image (QR code and Code 128), the reward, its last day, its number."""
    last_day = text(language, "ticket_until", date=fmt.long_date(language, ticket.last_day))
    return {
        "type": "bubble",
        "header": header(
            design, ticket.reward_name, text(language, "ticket_title"), note_above=True
        ),
        "hero": {
            "type": "image",
            "url": ticket.image_url,
            "size": "full",
            "aspectRatio": TICKET_ASPECT_RATIO,
            "aspectMode": "fit",
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                row(text(language, "ticket_last_day"), last_day, bold=True),
                row(text(language, "ticket_code"), ticket_codes.grouped(ticket.code)),
                {
                    "type": "text",
                    "text": text(language, "ticket_hint"),
                    "size": "xs",
                    "color": _MUTED,
                    "wrap": True,
                    "margin": "md",
                },
            ],
        },
    }


def ticket_message(
    language: str, design: CardDesign, ticket: TicketView, lead: str | None = None
) -> dict[str, Any]:
    """One ticket as a message; ``lead`` (a catalogue key) is said above the reward's name."""
    bubble = ticket_bubble(language, design, ticket)
    if lead:
        note = {"type": "text", "text": text(language, lead), "size": "sm", "wrap": True}
        bubble["body"]["contents"].insert(0, note)
    alt = text(
        language,
        "ticket_alt",
        reward=ticket.reward_name,
        date=fmt.long_date(language, ticket.last_day),
    )
    return {"type": "flex", "altText": alt[:1500], "contents": bubble}


def tickets_message(language: str, design: CardDesign, tickets: list[TicketView]) -> dict[str, Any]:
    """The shopper's usable tickets, the one expiring first first (at most MAX_BUBBLES)."""
    if not tickets:
        return {"type": "text", "text": text(language, "tickets_none")}
    shown = tickets[:MAX_BUBBLES]
    bubbles = [ticket_bubble(language, design, ticket) for ticket in shown]
    alt = text(language, "tickets_alt", count=len(tickets))
    return {"type": "flex", "altText": alt, "contents": {"type": "carousel", "contents": bubbles}}


def ticket_reminder_message(
    language: str, design: CardDesign, ticket: TicketView
) -> dict[str, Any]:
    """The reminder before a ticket's last day, with the ticket itself."""
    message = ticket_message(language, design, ticket)
    day = fmt.long_date(language, ticket.last_day)
    lead = {
        "type": "text",
        "text": text(language, "ticket_reminder_lead", date=day),
        "size": "sm",
        "weight": "bold",
        "wrap": True,
    }
    message["contents"]["body"]["contents"].insert(0, lead)
    message["altText"] = text(language, "ticket_reminder_alt", reward=ticket.reward_name, date=day)[
        :1500
    ]
    return message


def staff_ticket_confirm(
    language: str, reward: str, number: str, last_day: date, txn: str
) -> dict[str, Any]:
    """A scanned ticket for staff: what it gives, whose it is, Use / Cancel."""
    body = text(
        language,
        "staff_ticket_found",
        reward=reward,
        number=fmt.member_number(number),
        date=fmt.long_date(language, last_day),
    )
    return confirm_message(
        body,
        button(
            text(language, "staff_ticket_use_button"),
            postbacks.StaffTicketUse(t=txn),
            style="primary",
            height=None,
            echo=True,
        ),
        button(
            text(language, "staff_cancel_button"), postbacks.StaffCancel(), height=None, echo=True
        ),
        text(language, "staff_ticket_alt", reward=reward),
    )
