"""Rewards: exchanging points for tickets, goal tickets, and using a ticket at the till.

Every step is one script on the member's keys (bot/store/tickets.py): an exchange takes the
points (FIFO by expiry) and one of the stock and issues the ticket together, once per confirm
button; a goal ticket is issued once per member and goal; a ticket is used once, under one
transaction id of one store, and staff may give it back within the undo window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain import ticket_codes
from bot.domain.errors import (
    ExpiredTicketError,
    InsufficientPointsError,
    RewardChangedError,
    SoldOutError,
    TicketLimitError,
    TransactionConflictError,
    UnknownCardError,
    UnknownRewardError,
    UnknownTicketError,
    UsedTicketError,
)
from bot.domain.program import Goal, Reward
from bot.domain.records import IssueOutcome, Outcome, PushIntent, Store, Ticket
from bot.domain.retry_keys import ticket_retry_key
from bot.services import Services
from bot.store import keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offer:
    """A reward as the shopper's rewards list shows it."""

    reward: Reward
    #: Points still needed before it can be exchanged (0: affordable now).
    needed: int
    #: Tickets left, or None without a stock limit.
    left: int | None


@dataclass(frozen=True)
class Catalogue:
    """The rewards that can be exchanged for points, with the member's balance."""

    balance: int
    offers: tuple[Offer, ...]


@dataclass(frozen=True)
class Exchanged:
    """A ticket an exchange issued (or issued the first time, when replayed)."""

    reward: Reward
    ticket: Ticket
    balance: int
    replayed: bool


@dataclass(frozen=True)
class Redeemed:
    """What a till is told about a ticket it used."""

    reward_key: str
    reward_name: str
    member_number: str
    replayed: bool


@dataclass(frozen=True)
class TicketLookup:
    """A scanned ticket, for staff to check before they confirm its use."""

    member_id: str
    member_number: str
    ticket: Ticket
    reward: Reward | None


def catalogue(services: Services, member_id: str) -> Catalogue | None:
    """The exchangeable rewards for a member (None if there is no such member)."""
    standing = services.ledger.maintain(member_id, services.clock())
    if standing is None:
        return None
    rewards = [r for r in services.settings.program.rewards if r.cost is not None]
    issued = services.tickets.issued([r.key for r in rewards if r.stock is not None])
    offers = []
    for reward in rewards:
        assert reward.cost is not None
        left = None if reward.stock is None else max(reward.stock - issued[reward.key], 0)
        offers.append(Offer(reward, max(reward.cost - standing.balance, 0), left))
    return Catalogue(standing.balance, tuple(offers))


def exchangeable(services: Services, reward_key: str) -> Reward:
    """The reward ``reward_key`` if points can buy it, else UnknownRewardError."""
    reward = services.settings.program.reward(reward_key)
    if reward is None or reward.cost is None:
        raise UnknownRewardError(reward_key)
    return reward


def exchange(
    services: Services, member_id: str, reward_key: str, cost: int, nonce: str
) -> Exchanged:
    """Exchange points for a ticket once per ``nonce`` (the confirm button's): ``cost`` is
    what the shopper was shown; if the program changed it since, only an earlier exchange
    under this nonce is given back (else RewardChangedError)."""
    reward = exchangeable(services, reward_key)
    op_key = keys.exchange_op(nonce)
    if cost != reward.cost:
        # Only an earlier exchange under this nonce may stand: the shopper saw another cost.
        done = services.tickets.replay(member_id, op_key)
        if done is None:
            raise RewardChangedError(reward_key)
        return _exchanged(services, member_id, reward, done, replayed=True)
    outcome = _issue(services, member_id, reward, op_key, cost=cost, source="exchange")
    if outcome.status is Outcome.REPLAYED:
        return _exchanged(services, member_id, reward, outcome, replayed=True)
    if outcome.status is Outcome.INSUFFICIENT:
        raise InsufficientPointsError(outcome.balance, cost)
    if outcome.status is Outcome.SOLD_OUT:
        raise SoldOutError(reward_key)
    if outcome.status is Outcome.FULL:
        raise TicketLimitError(reward_key)
    if outcome.status is Outcome.NO_MEMBER:
        raise UnknownCardError(member_id)
    return _exchanged(services, member_id, reward, outcome, replayed=False)


def _exchanged(
    services: Services, member_id: str, reward: Reward, outcome: IssueOutcome, *, replayed: bool
) -> Exchanged:
    ticket = services.tickets.ticket(member_id, outcome.ticket_number)
    if ticket is None:  # the member was deleted between the two calls
        raise UnknownCardError(member_id)
    return Exchanged(reward, ticket, outcome.balance, replayed)


def _issue(
    services: Services,
    member_id: str,
    reward: Reward,
    op_key: str,
    *,
    cost: int,
    source: str,
    push: PushIntent | None = None,
) -> IssueOutcome:
    credentials = services.store.code_credentials(member_id)
    if credentials is None:
        return IssueOutcome(Outcome.NO_MEMBER, 0)
    program = services.settings.program
    now = services.clock()
    return services.tickets.issue(
        member_id=member_id,
        now=now,
        op_key=op_key,
        reward=reward.key,
        cost=cost if source == "exchange" else 0,
        stock=reward.stock if source == "exchange" else None,
        expires_at=reward.expiry_for(now, program.timezone),
        handle=credentials.handle,
        secret=ticket_codes.new_random_part(),
        source=source,
        push=push,
    )


def give_goal(services: Services, member_id: str, goal: Goal) -> IssueOutcome | None:
    """Issue the goal's ticket unless the member has had it (pushed to them, through the
    outbox); None if the program lost the reward since."""
    reward = services.settings.program.reward(goal.reward)
    if reward is None:
        return None
    op_key = keys.goal_op(goal.goal_id)
    push = PushIntent(
        "ticket",
        ticket_retry_key(member_id, op_key),
        {"reward": reward.key, "goal": goal.goal_id},
        urgent=True,
    )
    outcome = _issue(services, member_id, reward, op_key, cost=0, source="goal", push=push)
    if outcome.status is Outcome.APPLIED:
        log.info("goal ticket %s issued", goal.goal_id)
    return outcome


def after_spend(services: Services, member_id: str, before: int, after: int) -> None:
    """Give the goal tickets of every rank a purchase took the member's window spend from
    ``before`` to ``after`` past (a retried purchase gives them again: once per goal)."""
    program = services.settings.program
    if not program.goals or after <= before:
        return
    tiers = program.ranks.tiers
    start = tiers.index(program.ranks.for_spend(before))
    end = tiers.index(program.ranks.for_spend(after))
    for tier in tiers[start + 1 : end + 1]:
        for goal in program.rank_goals(tier.key):
            give_goal(services, member_id, goal)


def usable_tickets(services: Services, member_id: str) -> list[Ticket]:
    """The member's tickets a till may take now, the one expiring first first."""
    now = services.clock()
    found = [t for t in services.tickets.tickets(member_id) if t.usable(now)]
    return sorted(found, key=lambda t: (t.expires_at, t.number))


def look_up_ticket(services: Services, code: str) -> TicketLookup:
    """The ticket behind a scanned code (whatever its state), or UnknownTicketError."""
    member_id = _holder(services, code)
    number = ticket_codes.parts(code)[1]
    ticket = services.tickets.ticket(member_id, number)
    member = services.store.member(member_id)
    if ticket is None or ticket.code != code or member is None:
        raise UnknownTicketError(code)
    reward = services.settings.program.reward(ticket.reward)
    return TicketLookup(member_id, member.number, ticket, reward)


def _holder(services: Services, code: str) -> str:
    if not ticket_codes.looks_like_ticket_code(code):
        raise UnknownTicketError(code)
    handle = ticket_codes.parts(code)[0]
    member_id = services.store.member_id_indexed(keys.card_handle(handle))
    if member_id is None:
        raise UnknownTicketError(code)
    return member_id


def redeem(services: Services, store: Store, transaction_id: str, code: str) -> Redeemed:
    """Use the ticket ``code`` once under the store's ``transaction_id``: the same id and code
    again give the first answer; the ticket used, expired or unknown raise."""
    member_id = _holder(services, code)
    outcome = services.tickets.use(
        member_id=member_id,
        now=services.clock(),
        number=ticket_codes.parts(code)[1],
        code=code,
        store_id=store.store_id,
        transaction_id=transaction_id,
    )
    reward = services.settings.program.reward(outcome.reward)
    name = reward.name if reward else outcome.reward
    if outcome.status is Outcome.CONFLICT:
        raise TransactionConflictError(transaction_id)
    if outcome.status is Outcome.USED:
        raise UsedTicketError(name)
    if outcome.status is Outcome.EXPIRED:
        raise ExpiredTicketError(name)
    if outcome.status not in (Outcome.APPLIED, Outcome.REPLAYED):
        raise UnknownTicketError(code)
    if outcome.status is Outcome.APPLIED:
        log.info("ticket used at store %s", store.store_id)
    return Redeemed(outcome.reward, name, outcome.member_number, outcome.status is Outcome.REPLAYED)


def give_back(services: Services, store: Store, transaction_id: str, code: str) -> bool:
    """Make the ticket a store's transaction used usable again (a staff undo); False if that
    transaction used no ticket, or it was given back already."""
    try:
        member_id = _holder(services, code)
    except UnknownTicketError:
        return False
    ticket = services.tickets.ticket(member_id, ticket_codes.parts(code)[1])
    if ticket is None or not ticket.used_at:
        return False
    outcome = services.tickets.give_back(
        member_id=member_id,
        now=services.clock(),
        store_id=store.store_id,
        transaction_id=transaction_id,
        used_at=ticket.used_at,
    )
    return outcome.status is Outcome.APPLIED
