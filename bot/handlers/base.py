"""What every handler receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain.records import Member
from bot.messages.texts import DEFAULT_LANGUAGE
from bot.services import Services

MessageJson = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """The shopper a postback or keyword came from."""

    services: Services
    user_id: str
    member: Member | None
    #: The postback data (``action=...&...``) or the message text that picked the handler.
    data: str = ""

    @property
    def language(self) -> str:
        """The member's language, Japanese for strangers."""
        return self.member.language if self.member else DEFAULT_LANGUAGE


#: A postback or keyword handler: returns the messages to reply with (at most five).
Handler = Callable[[Context], list[MessageJson]]
