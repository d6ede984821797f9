"""The shopper's settings: turning expiry reminders and notices off and on."""

from __future__ import annotations

from urllib.parse import parse_qs

from bot.handlers.base import Context, MessageJson
from bot.messages.flex import text_message
from bot.messages.settings_view import settings_message
from bot.messages.texts import text

_CHOICES = {"on": True, "off": False}


def show_settings(ctx: Context) -> list[MessageJson]:
    """The settings; ``action=settings&reminders=on|off`` first changes the reminder setting."""
    if ctx.member is None:
        return [text_message(text(ctx.language, "not_member"))]
    store, design = ctx.services.store, ctx.services.settings.program.card
    wanted = parse_qs(ctx.data).get("reminders", [None])[0]
    enabled, note = ctx.member.reminders, None
    if wanted in _CHOICES and store.set_reminders(ctx.member.member_id, _CHOICES[wanted]):
        enabled = _CHOICES[wanted]
        note = text(ctx.language, f"settings_changed_{wanted}")
    return [settings_message(ctx.language, design, reminders=enabled, note=note)]
