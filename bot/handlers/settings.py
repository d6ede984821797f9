"""The shopper's settings: turning expiry reminders and notices off and on."""

from __future__ import annotations

from bot.handlers.base import Context, MessageJson
from bot.handlers.card import no_card
from bot.messages import postbacks
from bot.messages.settings_view import settings_message
from bot.messages.texts import text


def promotions_on(ctx: Context, promotions: bool, opted_in: bool) -> bool:
    """Whether the member gets promotional notices, as ``notice send`` decides it."""
    return promotions and (opted_in or not ctx.services.settings.program.messages.opt_in)


def show_settings(ctx: Context) -> list[MessageJson]:
    """The settings; a ``Settings(reminders=...)`` or ``Settings(promotions=...)`` postback
    first changes that setting."""
    if ctx.member is None:
        return no_card(ctx)
    store, design = ctx.services.store, ctx.services.settings.program.card
    tap = ctx.postback if isinstance(ctx.postback, postbacks.Settings) else postbacks.Settings()
    member, language = ctx.member, ctx.language
    reminders, note = member.reminders, None
    promotions = promotions_on(ctx, member.promotions, member.opted_in)
    if tap.reminders is not None and store.set_reminders(member.member_id, tap.reminders):
        reminders = tap.reminders
        note = text(language, "settings_changed_on" if reminders else "settings_changed_off")
    elif tap.promotions is not None and store.set_promotions(
        member.member_id, tap.promotions, opt_in=tap.promotions
    ):
        promotions = tap.promotions
        changed = "on" if promotions else "off"
        note = text(language, f"settings_promotions_changed_{changed}")
    return [
        settings_message(language, design, reminders=reminders, promotions=promotions, note=note)
    ]
