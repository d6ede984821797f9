"""Friend lifecycle: follow registers (or restores) a member, unfollow pauses pushes."""

from __future__ import annotations

import logging

from bot.handlers.base import Context, MessageJson
from bot.handlers.card import welcome_messages
from bot.handlers.members import register_from_profile
from bot.log import user_ref

__all__ = ["on_follow", "on_unfollow", "welcome_messages"]

log = logging.getLogger(__name__)


def on_follow(ctx: Context) -> list[MessageJson]:
    """Register the shopper from the LINE profile (no form) and reply with the card.

    A returning friend gets the same card and points back, with the name and language of
    today's profile. ``follow.isUnblocked`` is not trusted (LINE does not guarantee it): the
    member record decides whether this is a return.
    """
    member, created = register_from_profile(ctx.services, ctx.user_id, ctx.member)
    return welcome_messages(ctx.services, member, created=created)


def on_unfollow(ctx: Context) -> list[MessageJson]:
    """Mark the member inactive; points stay for when the shopper comes back."""
    if ctx.services.store.deactivate(ctx.user_id):
        log.info("member paused %s", user_ref(ctx.user_id))
    return []
