"""The membership card."""

from __future__ import annotations

from bot.handlers.base import Context, MessageJson
from bot.messages.flex import CardView, card_message, text_message
from bot.messages.texts import text
from bot.services import Services
from bot.store.redis_store import Member


def build_card(services: Services, member: Member) -> MessageJson:
    """The Flex card message of a member, with the balance after expiring due points."""
    standing = services.ledger.maintain(member.member_id, services.clock())
    view = CardView(
        display_name=member.display_name,
        number=member.number,
        balance=standing.balance if standing else member.balance,
        image_url=services.card_urls.url_for(member.number),
    )
    return card_message(member.language, services.settings.program.card, view)


def show_card(ctx: Context) -> list[MessageJson]:
    """Reply with the card, or explain how to get one."""
    if ctx.member is None:
        return [text_message(text(ctx.language, "not_member"))]
    return [build_card(ctx.services, ctx.member)]
