"""Staff granting points from inside LINE: scan (photo or digits) → amount → confirm → grant.

Only registered staff get anything: every step checks the sender against the staff registry
on the server, because postback data comes from the client and proves nothing. The
conversation lives in Redis (bot/store/staff_sessions.py), so a worker restart loses nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from linebot.v3.messaging import ApiException

from bot.domain.errors import (
    DomainError,
    ExpiredCardCodeError,
    InsufficientPointsError,
    MemberNumberNotAcceptedError,
    UsedCardCodeError,
)
from bot.domain.records import Store
from bot.handlers.base import MessageJson
from bot.imaging.scanning import decode_card_codes
from bot.log import user_ref
from bot.messages.flex import text_message
from bot.messages.staff_views import confirm_message, scan_prompt
from bot.messages.texts import DEFAULT_LANGUAGE, text
from bot.operations import staff_grants
from bot.operations.purchases import resolve_card
from bot.services import Services
from bot.store import keys

log = logging.getLogger(__name__)

#: Largest purchase staff may grant from LINE, in JPY; larger ones go through a POS.
STAFF_MAX_AMOUNT = 1_000_000
#: Largest photo the bot downloads, in bytes (LINE images are far smaller).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_AMOUNT = re.compile(r"^(\d{1,9})(?:[ /+]+(\d{1,9}))?$")
_CODE = re.compile(r"^\d{6,64}$")


class StaffContext:
    """A staff member's request: who, which store, their session storage, their language."""

    def __init__(self, services: Services, user_id: str, store_id: str) -> None:
        self.services = services
        self.user_id = user_id
        self.staff_id = keys.member_id_for(user_id)
        self.store = Store(store_id, services.store.store_name(store_id))
        self.sessions = services.staff_sessions
        member = services.store.member_for_user(user_id)
        self.language = member.language if member else DEFAULT_LANGUAGE

    def say(self, key: str, **values: object) -> list[MessageJson]:
        """One text message from the catalogue."""
        return [text_message(text(self.language, key, **values))]


def staff_context(services: Services, user_id: str) -> StaffContext | None:
    """The context of a registered staff member, or None for anyone else."""
    store_id = services.staff.is_staff(user_id)
    return StaffContext(services, user_id, store_id) if store_id else None


# -- postbacks ---------------------------------------------------------------------------


def start_scan(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Ask for a photo of the card, with camera and camera-roll quick replies."""
    ctx.sessions.put(ctx.staff_id, {"step": "code"})
    return [scan_prompt(ctx.language)]


def enter_code(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Ask for the digits instead of a photo."""
    ctx.sessions.put(ctx.staff_id, {"step": "code"})
    return ctx.say("staff_enter_code")


def confirm(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Grant the pending purchase; a second tap replays the same grant, never a new one."""
    token = data.get("t", "")
    session = ctx.sessions.get(ctx.staff_id) or {}
    pending = session if session.get("step") == "confirm" else None
    last = ctx.sessions.last_grant(ctx.staff_id)
    if pending and pending.get("txn") == token:
        grant = pending
    elif last and last.get("txn") == token:
        grant = last  # a double tap: the transaction id makes the grant idempotent
    else:
        return ctx.say("staff_nothing_pending")
    try:
        result = staff_grants.grant(
            ctx.services, ctx.staff_id, ctx.store, grant, first=grant is pending
        )
    except InsufficientPointsError as exc:
        ctx.sessions.clear(ctx.staff_id)
        return ctx.say("staff_too_many_points", balance=exc.balance)
    except DomainError as exc:
        ctx.sessions.clear(ctx.staff_id)
        return ctx.say(_card_problem(exc))
    if grant is pending:
        ctx.sessions.clear(ctx.staff_id)
        log.info("staff %s granted %d pt", user_ref(ctx.user_id), result.points_earned)
    return ctx.say(
        "staff_granted",
        earned=result.points_earned,
        used=result.points_used,
        number=result.member_number,
        balance=result.balance,
    )


def cancel(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Drop the pending purchase."""
    ctx.sessions.clear(ctx.staff_id)
    return ctx.say("staff_cancelled")


def undo(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Refund the last grant if it is at most UNDO_WINDOW old."""
    result = staff_grants.undo_last_grant(ctx.services, ctx.staff_id, ctx.store)
    if result is None:
        return ctx.say("staff_undo_expired")
    log.info("staff %s undid a grant", user_ref(ctx.user_id))
    return ctx.say(
        "staff_undone",
        reversed=result.points_reversed,
        restored=result.points_restored,
        balance=result.balance,
    )


def today(ctx: StaffContext, data: dict[str, str]) -> list[MessageJson]:
    """Count and totals of this staff member's grants today."""
    totals = staff_grants.day_totals(ctx.services, ctx.staff_id)
    return ctx.say(
        "staff_today",
        count=totals.count,
        amount=f"{totals.amount:,}",
        earned=f"{totals.earned:,}",
    )


STAFF_ACTIONS: dict[str, Callable[[StaffContext, dict[str, str]], list[MessageJson]]] = {
    "staff_scan": start_scan,
    "staff_code": enter_code,
    "staff_confirm": confirm,
    "staff_cancel": cancel,
    "staff_undo": undo,
    "staff_today": today,
}


def on_staff_postback(services: Services, user_id: str, data: str) -> list[MessageJson]:
    """Run a staff action for staff; anyone else gets nothing (and nothing happens)."""
    ctx = staff_context(services, user_id)
    fields = {k: v[0] for k, v in parse_qs(data).items()}
    if ctx is None:
        log.warning("staff action refused for non-staff %s", user_ref(user_id))
        return []
    return STAFF_ACTIONS[fields["action"]](ctx, fields)


# -- messages ----------------------------------------------------------------------------


def _found(ctx: StaffContext, code: str) -> list[MessageJson]:
    """Look the card up and ask for the amount."""
    try:
        member_id = resolve_card(ctx.services, code)
    except DomainError as exc:
        return ctx.say(_card_problem(exc))
    standing = ctx.services.ledger.maintain(member_id, ctx.services.clock())
    member = ctx.services.store.member(member_id)
    if standing is None or member is None:
        return ctx.say("staff_unknown_card")
    if member_id == ctx.staff_id:
        return ctx.say("staff_own_card")
    ctx.sessions.put(ctx.staff_id, {"step": "amount", "code": code, "number": member.number})
    return ctx.say("staff_member_found", number=member.number, balance=f"{standing.balance:,}")


def _card_problem(exc: DomainError) -> str:
    """The text telling staff what to do about a card code that was refused."""
    if isinstance(exc, ExpiredCardCodeError):
        return "staff_code_expired"
    if isinstance(exc, UsedCardCodeError):
        return "staff_code_used"
    if isinstance(exc, MemberNumberNotAcceptedError):
        return "staff_number_not_accepted"
    return "staff_unknown_card"


def on_staff_image(services: Services, user_id: str, message_id: str) -> list[MessageJson] | None:
    """A staff member's photo of a card; None when the sender is not staff."""
    ctx = staff_context(services, user_id)
    if ctx is None:
        return None
    try:
        data = services.line.content(message_id)
    except ApiException:
        return ctx.say("staff_unreadable")  # LineClient logged LINE's answer
    codes = decode_card_codes(data[:MAX_PHOTO_BYTES]) if len(data) <= MAX_PHOTO_BYTES else []
    if not codes:
        return ctx.say("staff_unreadable")
    return _found(ctx, codes[0])


def on_staff_text(services: Services, user_id: str, body: str) -> list[MessageJson] | None:
    """Digits (a card code) or an amount from staff; None when this is not staff input."""
    ctx = staff_context(services, user_id)
    if ctx is None:
        return None
    cleaned = unicodedata.normalize("NFKC", body).strip().replace(",", "").replace("¥", "")
    cleaned = cleaned.removesuffix("円").strip()
    session = ctx.sessions.get(ctx.staff_id) or {}
    if session.get("step") == "amount":
        return _amount(ctx, session, cleaned)
    digits = cleaned.replace("-", "").replace(" ", "")
    if _CODE.match(digits):
        return _found(ctx, digits)
    if session.get("step") == "code":
        return ctx.say("staff_enter_code")
    return None


def _amount(ctx: StaffContext, session: dict[str, Any], cleaned: str) -> list[MessageJson]:
    match = _AMOUNT.match(cleaned)
    amount = int(match.group(1)) if match else -1
    used = int(match.group(2) or 0) if match else 0
    if not match or used > amount:
        return ctx.say("staff_bad_amount")
    if amount > STAFF_MAX_AMOUNT:
        return ctx.say("staff_amount_too_large", limit=f"{STAFF_MAX_AMOUNT:,}")
    # The id names the staff member (by the hash their keys use): the ledger entry says who.
    txn = f"L{ctx.staff_id[:8]}{secrets.token_hex(6)}"
    pending = {"step": "confirm", "code": session["code"], "number": session["number"]}
    ctx.sessions.put(ctx.staff_id, {**pending, "amount": amount, "used": used, "txn": txn})
    return [confirm_message(ctx.language, session["number"], amount, used, txn)]
