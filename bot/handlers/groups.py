"""Groups and rooms: the bot serves one-to-one chats only, so when it is added to a group or a
room it says so in one line and leaves (after the reply, which needs it to be there)."""

from __future__ import annotations

import logging

from linebot.v3.webhooks import Event, GroupSource, JoinEvent, RoomSource

from bot.handlers.base import MessageJson
from bot.messages.flex import text_message
from bot.messages.texts import DEFAULT_LANGUAGE, text
from bot.services import Services

log = logging.getLogger(__name__)


def on_join(services: Services, event: JoinEvent) -> list[MessageJson]:
    """The one-line explanation the bot replies with before it leaves (in Japanese and
    English: a group has no one language)."""
    return [text_message(text(DEFAULT_LANGUAGE, "group_leave"))]


def after_reply(services: Services, event: Event) -> None:
    """A join event: leave the group or room once the explanation is sent (or refused)."""
    if not isinstance(event, JoinEvent):
        return
    source = event.source
    if isinstance(source, GroupSource):
        services.line.leave("group", source.group_id)
    elif isinstance(source, RoomSource):
        services.line.leave("room", source.room_id)
    else:
        return
    log.info("left a %s the bot was added to", type(source).__name__.removesuffix("Source"))
