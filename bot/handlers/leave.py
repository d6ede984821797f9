"""Leaving the program from the chat: a confirm step, then the member's data is deleted as
``member delete`` does, and the bot says what it deleted."""

from __future__ import annotations

import logging

from bot.handlers.base import Context, MessageJson
from bot.log import user_ref
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import button, confirm_message
from bot.messages.texts import text

log = logging.getLogger(__name__)

#: How long a Leave button stays good, in seconds: an old bubble scrolled back to asks again.
CONFIRM_SECONDS = 10 * 60


def leave(ctx: Context) -> list[MessageJson]:
    """退会 / leave, or its buttons: confirm, then delete; Cancel keeps everything."""
    tap = ctx.postback if isinstance(ctx.postback, postbacks.Leave) else postbacks.Leave()
    if ctx.member is None:
        return ctx.say("leave_nothing")
    if tap.confirm is False:
        return ctx.say("leave_kept")
    language = ctx.language
    standing = ctx.services.ledger.maintain(ctx.member.member_id, ctx.services.clock())
    balance = fmt.points(language, standing.balance if standing else ctx.member.balance)
    now = ctx.services.clock()
    if tap.confirm is None or not tap.at or not 0 <= now - int(tap.at) <= CONFIRM_SECONDS:
        return [_confirm(language, balance, now)]
    number = fmt.member_number(ctx.member.number)
    if not ctx.services.store.delete_member(ctx.member.member_id):
        return ctx.say("leave_nothing")
    log.info("%s left the program: member deleted", user_ref(ctx.user_id))
    return ctx.say("leave_done", number=number, balance=balance)


def _confirm(language: str, balance: str, now: int) -> MessageJson:
    return confirm_message(
        text(language, "leave_confirm", balance=balance),
        button(
            text(language, "leave_button"),
            postbacks.Leave(confirm=True, at=str(now)),
            style="primary",
            color="#D32F2F",
            height=None,
            echo=True,
        ),
        button(
            text(language, "leave_keep"), postbacks.Leave(confirm=False), height=None, echo=True
        ),
        text(language, "leave_confirm_alt"),
    )
