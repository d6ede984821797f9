"""What each kind of push says, built when it is sent from the member's state at that time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.records import Member
from bot.domain.schedule import last_day_of_use
from bot.handlers.follow import welcome_messages
from bot.handlers.rewards import ticket_view
from bot.messages.flex import ReceiptLine, ReceiptView, receipt_message, text_message
from bot.messages.notices import (
    ChangeView,
    ExpiredView,
    ReminderView,
    change_message,
    expired_message,
    reminder_message,
)
from bot.messages.rewards_views import ticket_message, ticket_reminder_message
from bot.messages.texts import text
from bot.services import Services
from bot.store import keys

#: An expired-points notice older than this (seconds; held back by LINE's monthly limit, say)
#: is news no more and is dropped.
NOTICE_MAX_AGE = 7 * 86400

MessageJson = dict[str, Any]
#: (services, member, payload, now) -> the message (or up to five), or None when there is
#: nothing to say.
Builder = Callable[[Services, Member, dict, int], MessageJson | list[MessageJson] | None]


@dataclass(frozen=True)
class Kind:
    """A kind of push: how to build it, and whether the reminder setting turns it off."""

    build: Builder
    optional: bool
    #: Whether it may go to a LINE user with no member record (``payload["to"]``): a staff
    #: member's confirmation.
    to_anyone: bool = False


def receipt(svc: Services, member: Member, payload: dict, now: int) -> MessageJson:
    """The electronic receipt of a purchase (the payload holds what the till reported)."""
    program = svc.settings.program
    items = tuple(ReceiptLine(str(n), int(q), int(p)) for n, q, p in payload.get("items", ()))
    view = ReceiptView(
        store_name=payload["store_name"],
        occurred_at=datetime.fromisoformat(payload["occurred_at"]).astimezone(program.timezone),
        amount=payload["amount"],
        points_earned=payload["points_earned"],
        points_used=payload["points_used"],
        balance=payload["balance"],
        receipt_number=str(payload.get("transaction_id", "")),
        items=items,
        more_items=int(payload.get("more_items", 0)),
        rank_up=_rank_up(svc, member, payload),
    )
    return receipt_message(member.language, program.card, view)


def _rank_up(svc: Services, member: Member, payload: dict) -> tuple[str, str] | None:
    """The rank (name in the member's language, colour) the purchase took the member to, or
    None: from the spend the sale's ledger record holds, after it and before it."""
    if "store_id" not in payload or "transaction_id" not in payload:
        return None  # queued by an earlier version
    op_key = keys.purchase_op(payload["store_id"], payload["transaction_id"])
    record = svc.ledger.operation(member.member_id, op_key)
    if not record or "spend" not in record or "amount" not in record:
        return None
    ranks = svc.settings.program.ranks
    after = ranks.for_spend(int(record["spend"]))
    before = ranks.for_spend(int(record["spend"]) - int(record["amount"]))
    if ranks.tiers.index(after) <= ranks.tiers.index(before):
        return None
    return (after.name_en if member.language == "en" else after.name), after.color


def reminder(svc: Services, member: Member, payload: dict, now: int) -> MessageJson | None:
    """The points still usable until the payload's last day; None if none are left."""
    program = svc.settings.program
    last_day = date.fromisoformat(payload["last_day"])
    standing = svc.ledger.maintain(member.member_id, now)
    if standing is None:
        return None
    points = sum(
        lot.remaining
        for lot in svc.ledger.lots(member.member_id)
        if lot.expires_at > now and last_day_of_use(lot.expires_at, program.timezone) == last_day
    )
    if points <= 0:
        return None  # spent, refunded or expired since the sweep found them
    view = ReminderView(points=points, last_day=last_day, balance=standing.balance)
    return reminder_message(member.language, program.card, view)


def expired(svc: Services, member: Member, payload: dict, now: int) -> MessageJson | None:
    """The points that expired (the sweep's count) and the balance now."""
    if now - int(payload.get("queued_at", now)) > NOTICE_MAX_AGE:
        return None
    standing = svc.ledger.maintain(member.member_id, now)
    if standing is None:
        return None
    view = ExpiredView(
        points=int(payload["points"]),
        last_days=tuple(date.fromisoformat(d) for d in payload["last_days"]),
        balance=standing.balance,
    )
    return expired_message(member.language, svc.settings.program.card, view)


def points_change(svc: Services, member: Member, payload: dict, now: int) -> MessageJson:
    """Points that changed without a purchase (refund, undo, adjustment), as the ledger step
    that changed them counted them."""
    view = ChangeView(
        why=str(payload["why"]),
        balance=int(payload["balance"]),
        store_name=str(payload.get("store_name", "")),
        receipt=str(payload.get("transaction_id", "")),
        reason=str(payload.get("reason", "")),
        adjusted=int(payload.get("points", 0)),
        restored=int(payload.get("restored", 0)),
        reversed=int(payload.get("reversed", 0)),
    )
    return change_message(member.language, svc.settings.program.card, view)


def ticket(svc: Services, member: Member, payload: dict, now: int) -> MessageJson | None:
    """A ticket given by itself (a goal reached); None if it can no longer be used."""
    found = svc.tickets.ticket(member.member_id, str(payload["ticket"]))
    if found is None or not found.usable(now):
        return None
    view = ticket_view(svc, member.member_id, member.language, found)
    return ticket_message(member.language, svc.settings.program.card, view, "ticket_goal")


def ticket_reminder(svc: Services, member: Member, payload: dict, now: int) -> MessageJson | None:
    """The reminder before a ticket's last day; None if it was used or expired since."""
    found = svc.tickets.ticket(member.member_id, str(payload["ticket"]))
    if found is None or not found.usable(now):
        return None
    view = ticket_view(svc, member.member_id, member.language, found)
    return ticket_reminder_message(member.language, svc.settings.program.card, view)


def rank_up(svc: Services, member: Member, payload: dict, now: int) -> MessageJson | None:
    """The rank the member reached and what it gives; None if the program lost the rank."""
    tier = next((t for t in svc.settings.program.ranks.tiers if t.key == payload["rank"]), None)
    if tier is None:
        return None
    language = member.language
    lines = [text(language, "rank_up", rank=tier.name_en if language == "en" else tier.name)]
    if tier.multiplier != 1:
        multiplier = f"{float(tier.multiplier):g}"
        lines.append(text(language, "rank_up_benefit", multiplier=multiplier))
    return text_message("\n".join(lines))


def welcome(svc: Services, member: Member, payload: dict, now: int) -> list[MessageJson]:
    """A new friend's welcome and card, built now (the card's code and image are current)."""
    return welcome_messages(svc, member, created=True)


def reply(svc: Services, member: Member, payload: dict, now: int) -> list[MessageJson]:
    """What a refused reply said, as it said it (a staff member's confirmation)."""
    return list(payload["messages"])


KINDS: dict[str, Kind] = {
    "welcome": Kind(welcome, optional=False),
    "reply": Kind(reply, optional=False, to_anyone=True),
    "receipt": Kind(receipt, optional=False),
    "points_change": Kind(points_change, optional=False),
    "reminder": Kind(reminder, optional=True),
    "expired": Kind(expired, optional=True),
    "ticket": Kind(ticket, optional=False),
    "rank_up": Kind(rank_up, optional=False),
    "ticket_reminder": Kind(ticket_reminder, optional=True),
}
