"""The membership card."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.records import Member
from bot.handlers.base import Context, MessageJson
from bot.handlers.members import register_from_profile
from bot.imaging.card_cache import prepare_card_png
from bot.imaging.card_image import CardFace
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import CardView, card_message, postback, text_message
from bot.messages.texts import text
from bot.services import Services

#: A card image URL stays valid this long after its rotating code has expired, in seconds:
#: LINE fetches the image when the message is shown, a little after it was sent.
IMAGE_GRACE = 60


def build_card(services: Services, member: Member) -> MessageJson:
    """The Flex card message of a member: code of the moment, rank, balance after expiry."""
    now = services.clock()
    program = services.settings.program
    standing = services.ledger.maintain(member.member_id, now)
    rank = program.ranks.for_spend(standing.spend if standing else 0)
    shown = services.card_codes.current(member, now)
    rotating = shown.mode == "rotating"
    face = CardFace(
        mode=shown.mode,
        code=shown.value,
        number=member.number,
        rank=rank.key,
        language=member.language,
        valid_until=shown.expires_at if rotating else 0,
    )
    url_expiry = shown.expires_at + IMAGE_GRACE if rotating else shown.expires_at
    # Drawn here, once per code, so that LINE's fetch of the image is served from Redis.
    prepare_card_png(face, program, services.card_images, url_expiry - now)
    view = CardView(
        display_name=member.display_name,
        number=member.number,
        balance=standing.balance if standing else member.balance,
        image_url=services.card_urls.url_for(face.fields(), url_expiry),
        rank_name=rank.name_en if member.language == "en" else rank.name,
        rank_color=rank.color,
        expiring=_soonest_expiry(services, member, program.timezone),
        valid_until=fmt.local(shown.expires_at, program.timezone) if rotating else None,
    )
    return card_message(member.language, program.card, view)


def _soonest_expiry(
    services: Services, member: Member, zone: ZoneInfo
) -> tuple[datetime, int] | None:
    """The last moment of the lots that expire first, and their points (after maintain)."""
    lots = services.ledger.lots(member.member_id)
    if not lots:
        return None
    first = lots[0].expires_at
    # A lot is live until its expiry instant: its last day is the second before.
    return fmt.local(first - 1, zone), sum(lot.remaining for lot in lots if lot.expires_at == first)


def show_card(ctx: Context) -> list[MessageJson]:
    """Reply with the card. Someone who never followed (a friend from before the bot, or a
    chat without friendship) asks for it: register them from their profile, as a follow
    would, and welcome them with it."""
    if ctx.member is None:
        member, created = register_from_profile(ctx.services, ctx.user_id, None)
        return welcome_messages(ctx.services, member, created=created)
    return [build_card(ctx.services, ctx.member)]


def welcome_messages(services: Services, member: Member, *, created: bool) -> list[MessageJson]:
    """The welcome (or welcome back) and the card, in the member's language."""
    greeting = "welcome" if created else "welcome_back"
    if not member.display_name.strip():
        greeting += "_unnamed"  # never "さん、..." with nothing before it
    lines = text(member.language, greeting, name=member.display_name)
    if created:
        lines += "\n" + text(member.language, "welcome_records")
    messages = [text_message(lines), build_card(services, member)]
    if created and services.settings.program.messages.opt_in:
        messages.append(_opt_in_question(member.language))
    return messages


def _opt_in_question(language: str) -> MessageJson:
    """Where the program asks shoppers to opt in to offers: the question, two quick replies."""
    message = text_message(text(language, "opt_in_ask"))
    yes, no = text(language, "opt_in_yes"), text(language, "opt_in_no")
    message["quickReply"] = {
        "items": [
            {"type": "action", "action": postback(yes, postbacks.Settings(promotions=True), yes)},
            {"type": "action", "action": postback(no, postbacks.Settings(promotions=False), no)},
        ]
    }
    return message


def no_card(ctx: Context) -> list[MessageJson]:
    """What someone without a card asking for points, history, rewards or settings hears:
    how to get one now, with a button that does."""
    message = text_message(text(ctx.language, "not_member"))
    label = text(ctx.language, "get_card_button")
    message["quickReply"] = {
        "items": [{"type": "action", "action": postback(label, postbacks.Card(), display=label)}]
    }
    return [message]
