"""Routing tables: event types, postback actions and text keywords to handlers."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from urllib.parse import parse_qs

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.handlers import card, follow, info, points, settings, staff
from bot.handlers.base import Context, Handler, MessageJson
from bot.messages.flex import text_message
from bot.messages.texts import text
from bot.services import Services

log = logging.getLogger(__name__)

#: ``postback.data`` is ``action=<name>[&...]``; the action picks the handler.
POSTBACK_ACTIONS: dict[str, Handler] = {
    "card": card.show_card,
    "points": points.show_points,
    "history": points.show_history,
    "help": info.show_help,
    "rewards": info.show_rewards,
    "tab": info.switch_tab,
    "settings": settings.show_settings,
}

#: Text keywords (compared after NFKC normalisation and case folding).
KEYWORDS: dict[str, Handler] = {
    "会員証": card.show_card,
    "カード": card.show_card,
    "card": card.show_card,
    "membership card": card.show_card,
    "ポイント": points.show_points,
    "points": points.show_points,
    "履歴": points.show_history,
    "ポイント履歴": points.show_history,
    "history": points.show_history,
    "ヘルプ": info.show_help,
    "help": info.show_help,
    "特典": info.show_rewards,
    "rewards": info.show_rewards,
    "設定": settings.show_settings,
    "settings": settings.show_settings,
}


def _context(services: Services, user_id: str, data: str = "") -> Context:
    return Context(services, user_id, services.store.member_for_user(user_id), data)


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def on_postback(services: Services, event: PostbackEvent) -> list[MessageJson]:
    """Dispatch a postback by its ``action``; unknown actions are ignored."""
    action = parse_qs(event.postback.data).get("action", [""])[0]
    if action in staff.STAFF_ACTIONS:
        return staff.on_staff_postback(services, event.source.user_id, event.postback.data)
    handler = POSTBACK_ACTIONS.get(action)
    if handler is None:
        log.info("ignored postback with unknown action")
        return []
    return handler(_context(services, event.source.user_id, event.postback.data))


def on_message(services: Services, event: MessageEvent) -> list[MessageJson]:
    """Staff input first (card photos, codes, amounts); then text keywords; else a hint."""
    user_id = event.source.user_id
    if isinstance(event.message, ImageMessageContent):
        return staff.on_staff_image(services, user_id, event.message.id) or []
    if not isinstance(event.message, TextMessageContent):
        return []
    staff_reply = staff.on_staff_text(services, user_id, event.message.text)
    if staff_reply is not None:
        return staff_reply
    ctx = _context(services, user_id)
    handler = KEYWORDS.get(_normalise(event.message.text))
    if handler is None:
        return [text_message(text(ctx.language, "fallback"))]
    return handler(ctx)


EVENT_HANDLERS: dict[type[Event], Callable[[Services, Event], list[MessageJson]]] = {
    FollowEvent: follow.on_follow,
    UnfollowEvent: follow.on_unfollow,
    PostbackEvent: on_postback,
    MessageEvent: on_message,
}


def dispatch(services: Services, event: Event) -> list[MessageJson]:
    """The messages to reply to ``event`` with; events the bot does not serve give none."""
    if getattr(event, "mode", "active") != "active":
        return []  # standby: another channel has the chat
    if not isinstance(event.source, UserSource):
        return []  # the bot serves one-to-one chats, not groups or rooms
    handler = EVENT_HANDLERS.get(type(event))
    if handler is None:
        log.info("no handler for %s event", type(event).__name__)
        return []
    return handler(services, event)
