"""Staff granting points from inside LINE: scan (photo or digits) → amount → confirm → grant.

Only registered staff get anything: the conversation admits a sender only after checking the
staff registry on the server, because postback data comes from the client and proves nothing.
Its state lives in Redis (bot/store/staff_sessions.py), so a worker restart loses nothing.
The steps and what each takes are the table ``CONVERSATION`` at the end.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import ApiException

from bot.domain.errors import (
    DomainError,
    ExpiredCardCodeError,
    ExpiredTicketError,
    InsufficientPointsError,
    MemberNumberNotAcceptedError,
    UnknownTicketError,
    UsedCardCodeError,
    UsedTicketError,
)
from bot.domain.points import earned_points
from bot.domain.records import Store, TicketState
from bot.domain.ticket_codes import looks_like_ticket_code
from bot.handlers.base import Context, Input, MessageJson, StaffDesk
from bot.handlers.routes import Conversation, Route
from bot.imaging.scanning import decode_card_codes
from bot.log import user_ref
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.postbacks import Action
from bot.messages.rewards_views import staff_ticket_confirm
from bot.messages.staff_views import confirm_message, scan_prompt
from bot.operations import rewards, staff_grants
from bot.operations.purchases import resolve_card
from bot.store import keys
from bot.store.staff_sessions import UNDO_WINDOW

log = logging.getLogger(__name__)

#: Largest purchase staff may grant from LINE, in JPY; larger ones go through a POS.
STAFF_MAX_AMOUNT = 1_000_000
#: Largest photo the bot decodes, in bytes (LINE images are far smaller).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_AMOUNT = re.compile(r"^(\d{1,9})(?:[ /+]+(\d{1,9}))?$")
#: "100pt", "100 ポイント", "100P" after the points used.
_POINTS_UNIT = re.compile(r"(?<=\d)\s*(?:pt|p|ポイント)\s*$", re.IGNORECASE)
_CODE = re.compile(r"^\d{6,64}$")


class Step(StrEnum):
    """Where a staff member is in a grant; the values are what sessions in Redis hold, so a
    conversation in flight survives a deploy."""

    #: Asked for a photo of the card or its digits.
    CODE = "code"
    #: The card was found; asked for the amount.
    AMOUNT = "amount"
    #: The amount was given; the Grant button waits.
    CONFIRM = "confirm"
    #: A reward ticket was scanned; the Use button waits.
    TICKET = "ticket"


def admit(ctx: Context) -> Context | None:
    """The context with the staff member's desk, or None for anyone who is not staff."""
    store_id = ctx.services.staff.is_staff(ctx.user_id)
    if not store_id:
        return None
    staff_id = keys.member_id_for(ctx.user_id)
    store = Store(store_id, ctx.services.store.store_name(store_id))
    session = ctx.services.staff_sessions.get(staff_id)
    return replace(ctx, staff=StaffDesk(staff_id, store, session))


def step_of(ctx: Context) -> Step | None:
    """The step the staff member's session is at; None without one (or with one whose step
    this version does not know)."""
    session = ctx.desk().session or {}
    try:
        return Step(session.get("step"))
    except ValueError:
        return None


def _put(ctx: Context, step: Step, **fields: object) -> None:
    ctx.services.staff_sessions.put(ctx.desk().staff_id, {"step": step.value, **fields})


# -- starting and ending -----------------------------------------------------------------


def start_scan(ctx: Context) -> list[MessageJson]:
    """Ask for a photo of the card, with camera and camera-roll quick replies."""
    _put(ctx, Step.CODE)
    return [scan_prompt(ctx.language)]


def ask_for_code(ctx: Context) -> list[MessageJson]:
    """Ask for the digits instead of a photo: the ones the program's card code mode takes."""
    _put(ctx, Step.CODE)
    return repeat_code_prompt(ctx)


def repeat_code_prompt(ctx: Context) -> list[MessageJson]:
    """Text that is no card code while one is awaited: ask again (the step stays)."""
    static = ctx.services.settings.program.code_mode == "static"
    return ctx.say("staff_enter_code_static" if static else "staff_enter_code")


def amount_without_card(ctx: Context) -> list[MessageJson]:
    """An amount before any card: say to scan the card first (not the shoppers' hint)."""
    return ctx.say("staff_amount_without_card")


def cancel(ctx: Context) -> list[MessageJson]:
    """Drop the pending purchase."""
    ctx.services.staff_sessions.clear(ctx.desk().staff_id)
    return ctx.say("staff_cancelled")


def undo(ctx: Context) -> list[MessageJson]:
    """Refund the last grant (or give back the last ticket used) if it is at most
    UNDO_WINDOW old."""
    desk = ctx.desk()
    last = ctx.services.staff_sessions.last_grant(desk.staff_id)
    if last is not None and last.get("kind") == "ticket":
        return _give_back_ticket(ctx)
    result = staff_grants.undo_last_grant(ctx.services, desk.staff_id, desk.store)
    if result is None:
        return ctx.say("staff_undo_expired")
    log.info("staff %s undid a grant", user_ref(ctx.user_id))
    return ctx.say(
        "staff_undone",
        reversed=fmt.number(result.points_reversed),
        restored=fmt.number(result.points_restored),
        balance=fmt.number(result.balance),
    )


def today(ctx: Context) -> list[MessageJson]:
    """Count and totals of today's grants from LINE: this staff member's and the store's."""
    desk = ctx.desk()
    totals = staff_grants.day_totals(ctx.services, desk.staff_id, desk.store)
    mine, store = totals.mine, totals.store
    return ctx.say(
        "staff_today",
        count=fmt.number(mine.count),
        amount=fmt.number(mine.amount),
        earned=fmt.number(mine.earned),
        store=desk.store.name or desk.store.store_id,
        store_count=fmt.number(store.count),
        store_amount=fmt.number(store.amount),
        store_earned=fmt.number(store.earned),
    )


# -- the card ----------------------------------------------------------------------------


def _cleaned(body: str) -> str:
    """Staff input as typed on any keyboard: full-width digits, ``1,280``, ``¥1,280``,
    ``1280円``, ``1280 100pt`` (a backslash is how some Japanese keyboards show ¥)."""
    cleaned = unicodedata.normalize("NFKC", body).strip()
    for mark in (",", "¥", "\\", "円"):
        cleaned = cleaned.replace(mark, "")
    cleaned = _POINTS_UNIT.sub("", cleaned)
    return " ".join(cleaned.split())


def reads_as_amount(ctx: Context) -> bool:
    """The route check for text that is an amount (``1280``, ``¥1,280``, ``1280 100``)."""
    return ctx.text is not None and _AMOUNT.match(_cleaned(ctx.text)) is not None


def card_code_in(body: str | None) -> str | None:
    """The card code a text spells (digits, maybe grouped with spaces or dashes), or None."""
    if body is None:
        return None
    digits = _cleaned(body).replace("-", "").replace(" ", "")
    return digits if _CODE.match(digits) else None


def reads_as_card_code(ctx: Context) -> bool:
    """The route check for text that is a card code."""
    return card_code_in(ctx.text) is not None


def look_up_code(ctx: Context) -> list[MessageJson]:
    """Typed digits: look the card up."""
    code = card_code_in(ctx.text)
    return _found(ctx, code) if code else repeat_code_prompt(ctx)


def read_photo(ctx: Context) -> list[MessageJson]:
    """A photo of a card: read its barcode and look the card up."""
    if ctx.image_id is None:
        return ctx.say("staff_unreadable")
    try:
        data = ctx.services.line.content(ctx.image_id)
    except ApiException:
        return ctx.say("staff_unreadable")  # LineClient logged LINE's answer
    codes = decode_card_codes(data) if len(data) <= MAX_PHOTO_BYTES else []
    if not codes:
        return ctx.say("staff_unreadable")
    return _found(ctx, codes[0])


def _found(ctx: Context, code: str) -> list[MessageJson]:
    """Look the card up and ask for the amount (or, for a reward ticket, confirm its use)."""
    if looks_like_ticket_code(code):
        return _ticket_found(ctx, code)
    svc, staff_id = ctx.services, ctx.desk().staff_id
    try:
        member_id = resolve_card(svc, code)
    except DomainError as exc:
        return ctx.say(_card_problem(exc))
    standing = svc.ledger.maintain(member_id, svc.clock())
    member = svc.store.member(member_id)
    if standing is None or member is None:
        return ctx.say("staff_unknown_card")
    if member_id == staff_id:
        return ctx.say("staff_own_card")
    _put(ctx, Step.AMOUNT, code=code, number=member.number, member=member_id)
    balance = fmt.number(standing.balance)
    return ctx.say("staff_member_found", number=member.number, balance=balance)


def _card_problem(exc: DomainError) -> str:
    """The text telling staff what to do about a card code that was refused."""
    if isinstance(exc, ExpiredCardCodeError):
        return "staff_code_expired"
    if isinstance(exc, UsedCardCodeError):
        return "staff_code_used"
    if isinstance(exc, MemberNumberNotAcceptedError):
        return "staff_number_not_accepted"
    return "staff_unknown_card"


# -- amount and grant --------------------------------------------------------------------


def take_amount(ctx: Context) -> list[MessageJson]:
    """The purchase amount (and points to use): show the confirmation, with the points it
    will grant, and its buttons. At the confirm step, a new amount replaces the last one."""
    session: Mapping[str, Any] = ctx.desk().session or {}
    match = _AMOUNT.match(_cleaned(ctx.text or ""))
    amount = int(match.group(1)) if match else -1
    used = int(match.group(2) or 0) if match else 0
    if not match or amount < 1 or used > amount:
        return ctx.say("staff_bad_amount")
    if amount > STAFF_MAX_AMOUNT:
        return ctx.say("staff_amount_too_large", limit=fmt.number(STAFF_MAX_AMOUNT))
    code, number = session["code"], session["number"]
    member_id = session.get("member")
    earned = _points_for(ctx, str(member_id) if member_id else None, code, amount, used)
    if earned is None:
        return ctx.say("staff_unknown_card")
    # The id names the staff member (by the hash their keys use): the ledger entry says who.
    txn = f"L{ctx.desk().staff_id[:8]}{secrets.token_hex(6)}"
    fields = {"code": code, "number": number, "amount": amount, "used": used, "txn": txn}
    _put(ctx, Step.CONFIRM, **fields, member=member_id)
    return [confirm_message(ctx.language, number, amount, used, txn, earned)]


def _points_for(
    ctx: Context, member_id: str | None, code: str, amount: int, used: int
) -> int | None:
    """The points a purchase will earn at the member's rank now (None: no such member)."""
    svc = ctx.services
    if member_id is None:  # a session from before the member id was kept
        try:
            member_id = resolve_card(svc, code)
        except DomainError:
            return None
    standing = svc.ledger.maintain(member_id, svc.clock())
    if standing is None:
        return None
    program = svc.settings.program
    tier = program.ranks.for_spend(standing.spend)
    return earned_points(program.earn, amount, used, tier.multiplier)


def confirm(ctx: Context) -> list[MessageJson]:
    """Grant the pending purchase; a second tap replays the same grant, never a new one."""
    desk, sessions = ctx.desk(), ctx.services.staff_sessions
    token = ctx.postback.t if isinstance(ctx.postback, postbacks.StaffConfirm) else ""
    pending = dict(desk.session) if step_of(ctx) is Step.CONFIRM and desk.session else None
    last = sessions.last_grant(desk.staff_id)
    if pending and pending.get("txn") == token:
        grant = pending
    elif last and last.get("txn") == token:
        grant = last  # a double tap: the transaction id makes the grant idempotent
    else:
        return ctx.say("staff_nothing_pending")
    first = grant is pending
    try:
        result = staff_grants.grant(ctx.services, desk.staff_id, desk.store, grant, first=first)
    except InsufficientPointsError as exc:
        sessions.clear(desk.staff_id)
        reply = ctx.say("staff_too_many_points", balance=fmt.number(exc.balance))
        return reply if _answers(ctx, token) else []
    except DomainError as exc:
        sessions.clear(desk.staff_id)
        return ctx.say(_card_problem(exc)) if _answers(ctx, token) else []
    if first:
        sessions.clear(desk.staff_id)
    if not _answers(ctx, token):
        return []  # another tap of this button answered (or is answering) already
    log.info("staff %s granted %d pt", user_ref(ctx.user_id), result.points_earned)
    return ctx.say(
        "staff_granted",
        earned=fmt.number(result.points_earned),
        used=fmt.number(result.points_used),
        number=result.member_number,
        balance=fmt.number(result.balance),
    )


def _answers(ctx: Context, token: str) -> bool:
    """Whether this tap answers the confirm button ``token``: a double tap answers once."""
    event = ctx.event_id or secrets.token_hex(8)  # no event id: never the same twice
    return ctx.services.staff_sessions.claim_answer(token, event)


# -- reward tickets ----------------------------------------------------------------------


def _ticket_found(ctx: Context, code: str) -> list[MessageJson]:
    """A scanned ticket: say what it gives and whose it is, and ask to confirm its use."""
    svc, desk = ctx.services, ctx.desk()
    try:
        found = rewards.look_up_ticket(svc, code)
    except UnknownTicketError:
        return ctx.say("staff_ticket_unknown")
    zone = svc.settings.program.timezone
    last_day = fmt.local(found.ticket.expires_at - 1, zone).date()
    if found.ticket.state is TicketState.USED:
        return ctx.say("staff_ticket_already_used")
    if not found.ticket.usable(svc.clock()):
        return ctx.say("staff_ticket_expired", date=fmt.long_date(ctx.language, last_day))
    if found.member_id == desk.staff_id:
        return ctx.say("staff_own_card")
    name = found.reward.label(ctx.language) if found.reward else found.ticket.reward
    txn = f"T{desk.staff_id[:8]}{secrets.token_hex(6)}"
    _put(ctx, Step.TICKET, code=code, txn=txn)
    return [staff_ticket_confirm(ctx.language, name, found.member_number, last_day, txn)]


def use_ticket(ctx: Context) -> list[MessageJson]:
    """The Use button: use the scanned ticket once; a second tap answers the same."""
    desk, sessions = ctx.desk(), ctx.services.staff_sessions
    token = ctx.postback.t if isinstance(ctx.postback, postbacks.StaffTicketUse) else ""
    pending = dict(desk.session) if step_of(ctx) is Step.TICKET and desk.session else None
    last = sessions.last_grant(desk.staff_id)
    if pending and pending.get("txn") == token:
        use = pending
    elif last and last.get("kind") == "ticket" and last.get("txn") == token:
        use = last
    else:
        return ctx.say("staff_nothing_pending")
    try:
        done = rewards.redeem(ctx.services, desk.store, use["txn"], use["code"])
    except UsedTicketError:
        sessions.clear(desk.staff_id)
        return ctx.say("staff_ticket_already_used")
    except ExpiredTicketError:
        sessions.clear(desk.staff_id)
        return ctx.say("staff_ticket_expired", date=_last_day(ctx, use["code"]))
    except DomainError:
        sessions.clear(desk.staff_id)
        return ctx.say("staff_ticket_unknown")
    if use is pending:
        sessions.clear(desk.staff_id)
        sessions.record_last(
            desk.staff_id,
            {"kind": "ticket", "txn": use["txn"], "code": use["code"], "at": ctx.services.clock()},
        )
        log.info("staff %s used a ticket", user_ref(ctx.user_id))
    reward = ctx.services.settings.program.reward(done.reward_key)
    name = reward.label(ctx.language) if reward else done.reward_key
    return ctx.say("staff_ticket_used_now", reward=name)


def _last_day(ctx: Context, code: str) -> str:
    try:
        found = rewards.look_up_ticket(ctx.services, code)
    except UnknownTicketError:
        return "-"  # the member left since
    zone = ctx.services.settings.program.timezone
    return fmt.long_date(ctx.language, fmt.local(found.ticket.expires_at - 1, zone).date())


def _give_back_ticket(ctx: Context) -> list[MessageJson]:
    """Undo of a ticket used: it can be used again."""
    desk, sessions = ctx.desk(), ctx.services.staff_sessions
    last = sessions.last_grant(desk.staff_id) or {}
    if last.get("kind") != "ticket" or ctx.services.clock() - last.get("at", 0) > UNDO_WINDOW:
        return ctx.say("staff_undo_expired")
    if not sessions.forget_last_grant(desk.staff_id):
        return ctx.say("staff_undo_expired")  # a concurrent undo took it
    code = last.get("code")
    if not code or not rewards.give_back(ctx.services, desk.store, last["txn"], code):
        return ctx.say("staff_undo_expired")
    found = rewards.look_up_ticket(ctx.services, code)
    name = found.reward.label(ctx.language) if found.reward else found.ticket.reward
    log.info("staff %s gave a ticket back", user_ref(ctx.user_id))
    return ctx.say("staff_ticket_given_back", reward=name)


# -- the conversation, as data -----------------------------------------------------------

_CARD_CODE = Route(Input.TEXT, look_up_code, when=reads_as_card_code)
_AMOUNT_TEXT = Route(Input.TEXT, take_amount, when=reads_as_amount)

#: What staff can do at any step and between grants. Confirm is here too: a double tap on
#: Grant comes after the grant ended the conversation, and must find the grant again.
ANYWHERE: tuple[Route, ...] = (
    Route(Action.STAFF_SCAN, start_scan),
    Route(Action.STAFF_CODE, ask_for_code),
    Route(Input.IMAGE, read_photo),
    _CARD_CODE,
    Route(Input.TEXT, amount_without_card, when=reads_as_amount),
    Route(Action.STAFF_CONFIRM, confirm),
    Route(Action.STAFF_TICKET_USE, use_ticket),
    Route(Action.STAFF_CANCEL, cancel),
    Route(Action.STAFF_UNDO, undo),
    Route(Action.STAFF_TODAY, today),
)

#: A step's own routes come before the fallbacks: while an amount is awaited, digits are the
#: amount, not a new card. Text no route takes (a keyword such as 会員証) goes on to the
#: shopper's routes, as it does for anyone.
CONVERSATION: Conversation[Step] = Conversation(
    admit=admit,
    step=step_of,
    entry_points=ANYWHERE,
    states={
        Step.CODE: (_CARD_CODE, Route(Input.TEXT, repeat_code_prompt)),
        Step.AMOUNT: (Route(Input.TEXT, take_amount),),
        # A corrected amount while the Grant button waits: a new confirm replaces it.
        Step.CONFIRM: (_AMOUNT_TEXT,),
        Step.TICKET: (),
    },
    fallbacks=ANYWHERE,
)
