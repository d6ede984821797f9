"""Help and the hint: what the shopper can do."""

from __future__ import annotations

from bot.handlers.base import Context, MessageJson
from bot.messages.flex import text_message
from bot.messages.texts import text


def show_help(ctx: Context) -> list[MessageJson]:
    """What the bot does and how to ask for it."""
    return [text_message(text(ctx.language, "help"))]


def show_hint(ctx: Context) -> list[MessageJson]:
    """Text the bot has no keyword for: say how to get the card, or, to staff, how to grant
    (a cashier's typo is not a shopper's question)."""
    key = "staff_hint" if ctx.services.staff.is_staff(ctx.user_id) else "fallback"
    return [text_message(text(ctx.language, key))]


def switch_tab(ctx: Context) -> list[MessageJson]:
    """A rich menu tab switch: LINE already changed the menu, nothing to say."""
    return []
