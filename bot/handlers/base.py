"""What every handler receives, and the one shape every handler has."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.records import Member, Store
from bot.messages.flex import text_message
from bot.messages.postbacks import Action, Postback
from bot.messages.texts import DEFAULT_LANGUAGE, text
from bot.services import Services

MessageJson = dict[str, Any]


class Input(StrEnum):
    """Kinds of message a route can take; a postback's kind is its ``Action``."""

    TEXT = "text"
    IMAGE = "image"


#: What a route matches: a postback's action, or a kind of message.
Kind = Action | Input


class HandlerError(Exception):
    """A handler was used where it does not belong (a bug; the error handler apologises)."""


@dataclass(frozen=True)
class StaffDesk:
    """A registered staff member at work: who, at which store, and their conversation."""

    #: Their member id (the hash every Redis key uses), which also names their grants.
    staff_id: str
    store: Store
    #: The staff conversation's state (bot/store/staff_sessions.py), None between grants.
    session: Mapping[str, Any] | None


@dataclass(frozen=True)
class Context:
    """One input from one LINE user, and what the bot knows about them."""

    services: Services
    user_id: str
    member: Member | None
    #: The postback, decoded (None for other events, and for data that does not unpack).
    postback: Postback | None = None
    #: The text of a text message.
    text: str | None = None
    #: The id of an image message (LineClient.content downloads it).
    image_id: str | None = None
    #: A beacon event's (type, hardware id): ``enter``, ``banner`` or ``stay``.
    beacon: tuple[str, str] | None = None
    #: Set by the staff conversation once it has checked the sender is registered staff.
    staff: StaffDesk | None = None
    #: The webhook event's id (``webhookEventId``): the same when LINE or a retry delivers
    #: the event again, different for every other tap.
    event_id: str = ""
    #: When the event happened (unix s, LINE's timestamp): the same on a redelivery or a
    #: retry, so what is counted once per day counts for that event's day. None: now.
    at: int | None = None

    @property
    def kind(self) -> Kind | None:
        """What the input is, for routing; None for events that carry none (follow)."""
        if self.postback is not None:
            return self.postback.action
        if self.text is not None:
            return Input.TEXT
        if self.image_id is not None:
            return Input.IMAGE
        return None

    @property
    def language(self) -> str:
        """The member's language, Japanese for strangers."""
        return self.member.language if self.member else DEFAULT_LANGUAGE

    def say(self, key: str, **values: object) -> list[MessageJson]:
        """A reply of one text from the catalogue, in the user's language."""
        return [text_message(text(self.language, key, **values))]

    def desk(self) -> StaffDesk:
        """The staff member's desk; raises HandlerError outside the staff conversation, so a
        staff handler routed by mistake for anyone else does nothing."""
        if self.staff is None:
            raise HandlerError("a staff handler ran for someone the conversation did not admit")
        return self.staff


#: Every handler: the messages to reply with (at most five; none is fine).
Handler = Callable[[Context], list[MessageJson]]
