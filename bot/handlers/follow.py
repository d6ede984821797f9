"""Friend lifecycle: follow registers (or restores) a member, unfollow pauses pushes."""

from __future__ import annotations

import logging

from linebot.v3.webhooks import FollowEvent, UnfollowEvent

from bot.handlers.base import MessageJson
from bot.handlers.card import build_card
from bot.log import user_ref
from bot.messages.flex import text_message
from bot.messages.texts import language_for, text
from bot.services import Services

log = logging.getLogger(__name__)


def on_follow(services: Services, event: FollowEvent) -> list[MessageJson]:
    """Register the shopper from the LINE profile (no form) and reply with the card.

    A returning friend gets the same card and points back, with the name and language of
    today's profile. ``follow.isUnblocked`` is not trusted (LINE does not guarantee it): the
    member record decides whether this is a return.
    """
    user_id = event.source.user_id
    profile = services.line.profile(user_id)
    known = services.store.member_for_user(user_id)
    if profile is None:
        # LINE keeps the profile from us (rare for a new friend): keep what we know.
        name = known.display_name if known else ""
        language = known.language if known else language_for(None)
    else:
        name, language = profile.display_name, language_for(profile.language)
    prefix = services.settings.program.number_prefix
    member, created = services.store.register_member(user_id, name, language, prefix)
    log.info("member %s %s", "registered" if created else "restored", user_ref(user_id))
    greeting = "welcome" if created else "welcome_back"
    return [
        text_message(text(member.language, greeting, name=member.display_name)),
        build_card(services, member),
    ]


def on_unfollow(services: Services, event: UnfollowEvent) -> list[MessageJson]:
    """Mark the member inactive; points stay for when the shopper comes back."""
    if services.store.deactivate(event.source.user_id):
        log.info("member paused %s", user_ref(event.source.user_id))
    return []
