"""Registering a shopper from their LINE profile: on follow, and on a first card request from
someone who never followed (a friend from before the bot, or a chat without friendship)."""

from __future__ import annotations

import logging

import urllib3
from linebot.v3.messaging import ApiException

from bot.domain.records import Member
from bot.log import user_ref
from bot.messages.texts import language_for
from bot.services import Services

log = logging.getLogger(__name__)


def register_from_profile(
    services: Services, user_id: str, known: Member | None
) -> tuple[Member, bool]:
    """The member for ``user_id``, registered (or restored) with today's profile name and
    language; True when new. Without a profile (LINE failed, or keeps it from us) what is
    known is kept."""
    try:
        profile = services.line.profile(user_id)
    except (ApiException, urllib3.exceptions.HTTPError):
        # LINE failed to answer (5xx, a timeout): the shopper still gets a card now. The name
        # and language come with the next follow; retrying would only risk the reply token.
        log.warning("profile unavailable for %s; registering without it", user_ref(user_id))
        profile = None
    if profile is None:
        name = known.display_name if known else ""
        language = known.language if known else language_for(None)
    else:
        name, language = profile.display_name, language_for(profile.language)
    prefix = services.settings.program.number_prefix
    member, created = services.store.register_member(user_id, name, language, prefix)
    log.info("member %s %s", "registered" if created else "restored", user_ref(user_id))
    return member, created
