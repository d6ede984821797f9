"""Friend lifecycle: follow registers (or restores) a member, unfollow pauses pushes."""

from __future__ import annotations

import logging

import urllib3
from linebot.v3.messaging import ApiException

from bot.domain.records import Member
from bot.handlers.base import Context, MessageJson
from bot.handlers.card import build_card
from bot.log import user_ref
from bot.messages.flex import text_message
from bot.messages.texts import language_for, text
from bot.services import Services

log = logging.getLogger(__name__)


def on_follow(ctx: Context) -> list[MessageJson]:
    """Register the shopper from the LINE profile (no form) and reply with the card.

    A returning friend gets the same card and points back, with the name and language of
    today's profile. ``follow.isUnblocked`` is not trusted (LINE does not guarantee it): the
    member record decides whether this is a return.
    """
    services, user_id, known = ctx.services, ctx.user_id, ctx.member
    try:
        profile = services.line.profile(user_id)
    except (ApiException, urllib3.exceptions.HTTPError):
        # LINE failed to answer (5xx, a timeout): the shopper still gets a card now. The name
        # and language come with the next follow; retrying would only risk the reply token.
        log.warning("profile unavailable for %s; registering without it", user_ref(user_id))
        profile = None
    if profile is None:
        # LINE keeps the profile from us (blocked, or failed): keep what we know.
        name = known.display_name if known else ""
        language = known.language if known else language_for(None)
    else:
        name, language = profile.display_name, language_for(profile.language)
    prefix = services.settings.program.number_prefix
    member, created = services.store.register_member(user_id, name, language, prefix)
    log.info("member %s %s", "registered" if created else "restored", user_ref(user_id))
    return welcome_messages(services, member, created=created)


def welcome_messages(services: Services, member: Member, *, created: bool) -> list[MessageJson]:
    """The welcome (or welcome back) and the card, in the member's language."""
    greeting = "welcome" if created else "welcome_back"
    if not member.display_name.strip():
        greeting += "_unnamed"  # never "さん、..." with nothing before it
    return [
        text_message(text(member.language, greeting, name=member.display_name)),
        build_card(services, member),
    ]


def on_unfollow(ctx: Context) -> list[MessageJson]:
    """Mark the member inactive; points stay for when the shopper comes back."""
    if ctx.services.store.deactivate(ctx.user_id):
        log.info("member paused %s", user_ref(ctx.user_id))
    return []
