"""The shopper's rewards: the list, the exchange (with its confirm step) and the tickets."""

from __future__ import annotations

import logging
import secrets

from bot.domain.errors import (
    InsufficientPointsError,
    RewardChangedError,
    SoldOutError,
    TicketLimitError,
    UnknownRewardError,
)
from bot.domain.program import Reward
from bot.domain.records import Ticket
from bot.handlers.base import Context, MessageJson
from bot.handlers.card import no_card
from bot.imaging.ticket_image import TicketRef
from bot.log import user_ref
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.rewards_views import (
    OfferView,
    TicketView,
    exchange_confirm,
    rewards_message,
    ticket_message,
    tickets_message,
)
from bot.operations import rewards
from bot.operations.rewards import Offer
from bot.services import Services

log = logging.getLogger(__name__)


def show_rewards(ctx: Context) -> list[MessageJson]:
    """Every reward points can buy, with its cost, what the shopper can afford, and stock."""
    if ctx.member is None:
        return no_card(ctx)
    found = rewards.catalogue(ctx.services, ctx.member.member_id)
    if found is None:
        return no_card(ctx)
    if not found.offers:
        return ctx.say("no_rewards")
    offers = [_offer_view(ctx, offer) for offer in found.offers]
    design = ctx.services.settings.program.card
    return [rewards_message(ctx.language, design, found.balance, offers)]


def _offer_view(ctx: Context, offer: Offer) -> OfferView:
    reward = offer.reward
    assert reward.cost is not None
    return OfferView(
        key=reward.key,
        name=reward.label(ctx.language),
        cost=reward.cost,
        valid=fmt.span(ctx.language, reward.valid),
        needed=offer.needed,
        left=offer.left,
        image_url=ctx.services.reward_image_url(reward),
    )


def choose_reward(ctx: Context) -> list[MessageJson]:
    """A reward's Exchange button: say what it costs and ask to confirm."""
    if ctx.member is None:
        return no_card(ctx)
    key = ctx.postback.r if isinstance(ctx.postback, postbacks.Reward) else ""
    found = rewards.catalogue(ctx.services, ctx.member.member_id)
    offer = next((o for o in found.offers if o.reward.key == key), None) if found else None
    if found is None or offer is None:
        return ctx.say("reward_unknown")
    view = _offer_view(ctx, offer)
    if offer.left == 0:
        return ctx.say("reward_sold_out_now", reward=view.name)
    if offer.needed:
        cost = fmt.points(ctx.language, view.cost)
        return ctx.say(
            "reward_too_few_points", balance=fmt.points(ctx.language, found.balance), cost=cost
        )
    design = ctx.services.settings.program.card
    return [exchange_confirm(ctx.language, design, view, found.balance, secrets.token_hex(8))]


def exchange(ctx: Context) -> list[MessageJson]:
    """The confirm step's Exchange button: take the points and issue the ticket, once."""
    if ctx.member is None or not isinstance(ctx.postback, postbacks.Exchange):
        return no_card(ctx)
    tap = ctx.postback
    language = ctx.language
    try:
        done = rewards.exchange(ctx.services, ctx.member.member_id, tap.r, tap.c, tap.n)
    except UnknownRewardError:
        return ctx.say("reward_unknown")
    except RewardChangedError:
        return ctx.say("reward_changed")
    except InsufficientPointsError as exc:
        return ctx.say(
            "reward_too_few_points",
            balance=fmt.points(language, exc.balance),
            cost=fmt.points(language, exc.requested),
        )
    except SoldOutError:
        reward = ctx.services.settings.program.reward(tap.r)
        return ctx.say("reward_sold_out_now", reward=reward.label(language) if reward else tap.r)
    except TicketLimitError:
        return ctx.say("reward_ticket_limit")
    if not done.replayed:
        log.info("%s exchanged points for a ticket", user_ref(ctx.user_id))
    view = ticket_view(ctx.services, ctx.member.member_id, language, done.ticket)
    return [ticket_message(language, ctx.services.settings.program.card, view, "ticket_issued")]


def show_tickets(ctx: Context) -> list[MessageJson]:
    """The shopper's tickets that can be used now."""
    if ctx.member is None:
        return no_card(ctx)
    tickets = rewards.usable_tickets(ctx.services, ctx.member.member_id)
    member_id = ctx.member.member_id
    views = [ticket_view(ctx.services, member_id, ctx.language, t) for t in tickets]
    return [tickets_message(ctx.language, ctx.services.settings.program.card, views)]


def ticket_view(services: Services, member_id: str, language: str, ticket: Ticket) -> TicketView:
    """What a ticket message shows, with its image's signed URL (valid as long as the ticket)."""
    program = services.settings.program
    reward: Reward | None = program.reward(ticket.reward)
    ref = TicketRef(member_id, ticket.number, language)
    return TicketView(
        reward_name=reward.label(language) if reward else ticket.reward,
        code=ticket.code,
        last_day=fmt.local(ticket.expires_at - 1, program.timezone).date(),
        image_url=services.ticket_urls.url_for(ref.fields(), ticket.expires_at),
    )
