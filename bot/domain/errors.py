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


class UnknownTransactionError(DomainError):
    """The store has no applied transaction with this id."""


class ExpiredCardCodeError(DomainError):
    """A genuine rotating card code whose window has passed: the shopper should refresh."""


class UsedCardCodeError(DomainError):
    """A rotating card code already used for another transaction."""


class MemberNumberNotAcceptedError(DomainError):
    """A bare member number where the program asks for the card's rotating code."""
