"""Errors of the pure core, each naming what went wrong in terms a caller can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for rule violations."""


class UnknownCardError(DomainError):
    """No member has this card code."""


class TransactionConflictError(DomainError):
    """The transaction id was already used with a different body."""


class InsufficientPointsError(DomainError):
    """The shopper tried to use more points than the balance."""

    def __init__(self, balance: int, requested: int) -> None:
        super().__init__(f"balance is {balance}, {requested} requested")
        self.balance = balance
        self.requested = requested


class ExpiredTransactionError(DomainError):
    """The transaction id was applied longer ago than its idempotency record is kept."""


class UnknownTransactionError(DomainError):
    """The store has no applied transaction with this id."""


class ExpiredCardCodeError(DomainError):
    """A genuine rotating card code whose window has passed: the shopper should refresh."""


class UsedCardCodeError(DomainError):
    """A rotating card code already used for another transaction."""


class MemberNumberNotAcceptedError(DomainError):
    """A bare member number where the program asks for the card's rotating code."""


class UnknownRewardError(DomainError):
    """The program has no reward with this key (or it cannot be exchanged for points)."""


class RewardChangedError(DomainError):
    """The reward's cost changed since the shopper was shown it."""


class SoldOutError(DomainError):
    """Every ticket of a reward with limited stock has been exchanged."""


class TicketLimitError(DomainError):
    """The member holds as many tickets as a member may."""


class UnknownTicketError(DomainError):
    """No ticket has this code."""


class UsedTicketError(DomainError):
    """The ticket was already used."""

    def __init__(self, reward: str) -> None:
        super().__init__(reward)
        self.reward = reward


class ExpiredTicketError(DomainError):
    """The ticket is past its last day."""

    def __init__(self, reward: str) -> None:
        super().__init__(reward)
        self.reward = reward
