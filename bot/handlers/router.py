"""Routing tables: event types to handlers, and every postback and message to a route.

Postbacks and messages go through ``GROUPS`` in order, as python-telegram-bot's handler
groups: a staff invite code (bot/handlers/staff_invites.py), the staff conversation (for
registered staff; bot/handlers/staff.py), then the shopper's routes. ``dispatch`` holds the
one error handler (bot/handlers/errors.py).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import replace

from linebot.v3.webhooks import (
    BeaconEvent,
    Event,
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.handlers import card, follow, info, leave, points, rewards, settings, staff, visits
from bot.handlers.base import Context, Handler, Input, MessageJson
from bot.handlers.errors import must_retry, on_error
from bot.handlers.groups import on_join
from bot.handlers.routes import Group, Route, Routes
from bot.handlers.staff_invites import INVITES
from bot.messages import postbacks
from bot.messages.postbacks import Action
from bot.services import Services

log = logging.getLogger(__name__)


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def keyword(*words: str) -> Callable[[Context], bool]:
    """A route check: the text is one of ``words`` (after NFKC and case folding)."""
    wanted = frozenset(_normalise(word) for word in words)
    return lambda ctx: ctx.text is not None and _normalise(ctx.text) in wanted


#: What anyone can ask for: postback actions, then text keywords (Japanese and English), then
#: a hint for any other text.
SHOPPER = Routes(
    (
        Route(Action.CARD, card.show_card),
        Route(Action.POINTS, points.show_points),
        Route(Action.HISTORY, points.show_history),
        Route(Action.HELP, info.show_help),
        Route(Action.REWARDS, rewards.show_rewards),
        Route(Action.REWARD, rewards.choose_reward),
        Route(Action.EXCHANGE, rewards.exchange),
        Route(Action.TICKETS, rewards.show_tickets),
        Route(Action.LEAVE, leave.leave),
        Route(Action.TAB, info.switch_tab),
        Route(Action.SETTINGS, settings.show_settings),
        Route(Input.TEXT, card.show_card, keyword("会員証", "カード", "card", "membership card")),
        Route(Input.TEXT, points.show_points, keyword("ポイント", "points")),
        Route(Input.TEXT, points.show_history, keyword("履歴", "ポイント履歴", "history")),
        Route(Input.TEXT, info.show_help, keyword("ヘルプ", "help")),
        Route(Input.TEXT, rewards.show_rewards, keyword("特典", "rewards")),
        Route(
            Input.TEXT,
            rewards.show_tickets,
            keyword("チケット", "マイチケット", "tickets", "my tickets"),
        ),
        Route(Input.TEXT, settings.show_settings, keyword("設定", "settings")),
        Route(Input.TEXT, visits.on_check_in_message, visits.is_check_in),
        Route(Input.TEXT, leave.leave, keyword("退会", "leave", "leave the program")),
        Route(Input.TEXT, info.show_hint),
    )
)

#: Tried in order; the first group that takes an input answers it.
GROUPS: tuple[Group, ...] = (INVITES, staff.CONVERSATION, SHOPPER)


def on_input(ctx: Context) -> list[MessageJson]:
    """A postback or a message: the first group that takes it answers; else nothing."""
    for group in GROUPS:
        reply = group.handle(ctx)
        if reply is not None:
            return reply
    # Unknown postback actions, stickers, a shopper's photo: no PII, just what it was.
    log.info("ignored %s input", ctx.kind or "unknown")
    return []


EVENT_HANDLERS: dict[type[Event], Handler] = {
    FollowEvent: follow.on_follow,
    UnfollowEvent: follow.on_unfollow,
    PostbackEvent: on_input,
    MessageEvent: on_input,
    BeaconEvent: visits.on_beacon,
}


def dispatch(services: Services, event: Event) -> list[MessageJson]:
    """The messages to reply to ``event`` with; events the bot does not serve give none.

    A handler that raises is the error handler's: what a retry may cure is re-raised for RQ,
    anything else is logged without PII and answered with an apology.
    """
    if getattr(event, "mode", "active") != "active":
        return []  # standby: another channel has the chat
    if isinstance(event, JoinEvent):
        return on_join(services, event)  # then it leaves (groups.after_reply)
    if not isinstance(event.source, UserSource):
        return []  # the bot serves one-to-one chats, not groups or rooms
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        log.info("no handler for %s event", type(event).__name__)
        return []
    ctx = Context(services, event.source.user_id, None, event_id=event.webhook_event_id,
                  at=event.timestamp // 1000)  # fmt: skip
    try:
        ctx = _context(ctx, event)
        return handler(ctx)
    except Exception as exc:
        if must_retry(exc):
            raise
        return on_error(exc, handler, ctx)


def _context(ctx: Context, event: Event) -> Context:
    """The user's member record and the event's input, decoded."""
    ctx = replace(ctx, member=ctx.services.store.member_for_user(ctx.user_id))
    if isinstance(event, PostbackEvent):
        return replace(ctx, postback=postbacks.unpack_lenient(event.postback.data))
    if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        return replace(ctx, text=event.message.text)
    if isinstance(event, MessageEvent) and isinstance(event.message, ImageMessageContent):
        return replace(ctx, image_id=event.message.id)
    if isinstance(event, BeaconEvent):
        return replace(ctx, beacon=(str(event.beacon.type), event.beacon.hwid))
    return ctx
