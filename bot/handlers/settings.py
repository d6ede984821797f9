"""The shopper's settings: turning expiry reminders and notices off and on."""

from __future__ import annotations

from bot.handlers.base import Context, MessageJson
from bot.handlers.card import no_card
from bot.messages import postbacks
from bot.messages.settings_view import settings_message
from bot.messages.texts import text


def show_settings(ctx: Context) -> list[MessageJson]:
    """The settings; a ``Settings(reminders=...)`` postback first changes the reminder setting."""
    if ctx.member is None:
        return no_card(ctx)
    store, design = ctx.services.store, ctx.services.settings.program.card
    wanted = ctx.postback.reminders if isinstance(ctx.postback, postbacks.Settings) else None
    enabled, note = ctx.member.reminders, None
    if wanted is not None and store.set_reminders(ctx.member.member_id, wanted):
        enabled = wanted
        note = text(ctx.language, "settings_changed_on" if wanted else "settings_changed_off")
    return [settings_message(ctx.language, design, reminders=enabled, note=note)]
