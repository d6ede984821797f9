"""The records the layers pass to each other: members, stores, lots, history, outcomes.

Plain frozen values: the store builds them from Redis, operations and handlers read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """What a ledger step did; the Lua scripts return these names."""

    APPLIED = "applied"
    #: The same operation key was applied before: the first result is returned again.
    REPLAYED = "replayed"
    #: The operation key was applied before with a different body.
    CONFLICT = "conflict"
    #: Fewer points than the step wants to take; nothing changed.
    INSUFFICIENT = "insufficient"
    NO_MEMBER = "no_member"
    #: A refund of a purchase the ledger never applied.
    NOT_FOUND = "not_found"
    #: The card code was already taken by another transaction; nothing changed.
    CODE_USED = "code_used"
    #: Asked to replay only (the card code did not check out), and nothing was applied before.
    UNVERIFIED = "unverified"
    #: The transaction was applied once, but its idempotency record has expired: nothing changed.
    FORGOTTEN = "forgotten"
    #: The reward's stock is all exchanged; nothing changed.
    SOLD_OUT = "sold_out"
    #: The member holds as many tickets as a member may; nothing changed.
    FULL = "full"
    #: No ticket has this code; nothing changed.
    UNKNOWN = "unknown"
    #: The ticket was used before (under another transaction); nothing changed.
    USED = "used"
    #: The ticket is past its last moment; nothing changed.
    EXPIRED = "expired"
    #: Checked in at this store today already; nothing changed.
    ALREADY = "already"
    #: This month's check-ins are all used; nothing changed.
    CAPPED = "capped"
    #: A beacon at another store a moment ago; nothing changed.
    ELSEWHERE = "elsewhere"


@dataclass(frozen=True)
class Member:
    """A registered shopper."""

    member_id: str
    line_user_id: str
    number: str
    display_name: str
    language: str
    balance: int
    active: bool
    #: Whether the shopper wants expiry reminders and expired-points notices (a setting).
    reminders: bool = True
    #: Whether the shopper wants promotional notices (a setting; on unless turned off).
    promotions: bool = True
    #: Whether the shopper said yes to promotional notices (needed where ``[messages]`` asks).
    opted_in: bool = False


@dataclass(frozen=True)
class Store:
    """A shop that grants points through the POS API."""

    store_id: str
    name: str


@dataclass(frozen=True)
class StaffMember:
    """A registered staff member; the raw user id is kept because linking a menu needs it."""

    line_user_id: str
    store_id: str
    added_at: datetime


@dataclass(frozen=True)
class Lot:
    """A live grant of points."""

    lot_id: str
    remaining: int
    amount: int
    earned_at: int
    expires_at: int
    source: str
    ref: str


@dataclass(frozen=True)
class Entry:
    """One line of a member's history."""

    entry_id: str
    kind: str
    points: int
    balance: int
    at: int
    fields: dict[str, str]


@dataclass(frozen=True)
class Standing:
    """A member's balance and rank-window spend, after maintenance."""

    balance: int
    spend: int


@dataclass(frozen=True)
class PurchaseOutcome:
    """What a purchase did (or did the first time, when replayed)."""

    status: Outcome
    balance: int
    points_earned: int
    points_used: int
    spend: int
    member_number: str = ""
    #: Whether the member follows the account (a receipt can be pushed).
    active: bool = False
    #: Whether this call wrote the purchase's receipt to the member's outbox.
    receipt_written: bool = False


@dataclass(frozen=True)
class RefundOutcome:
    """What a refund did: points taken back, restored, and what could not be taken back."""

    status: Outcome
    balance: int
    reversed: int
    restored: int
    shortfall: int
    spend: int


@dataclass(frozen=True)
class PushIntent:
    """A push a ledger step decided on, kept in the member's outbox until it is queued."""

    kind: str
    #: The X-Line-Retry-Key: one logical message, one key, however often it is queued.
    retry_key: str
    payload: dict[str, object]
    #: Urgent pushes (receipts) ignore quiet hours.
    urgent: bool


class TicketState(StrEnum):
    """Where a ticket is in its life; the values are what the tickets hash holds."""

    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Ticket:
    """A reward ticket of one member: single use, until ``expires_at`` (unix s)."""

    number: str
    reward: str
    code: str
    state: TicketState
    issued_at: int
    expires_at: int
    #: ``exchange`` (bought with points) or ``goal`` (given by itself).
    source: str
    used_at: int = 0

    def usable(self, now: int) -> bool:
        """Whether a till may take it at ``now``."""
        return self.state is TicketState.ACTIVE and now < self.expires_at


@dataclass(frozen=True)
class IssueOutcome:
    """What issuing a ticket did (or did the first time, when replayed)."""

    status: Outcome
    balance: int
    ticket_number: str = ""
    code: str = ""
    expires_at: int = 0
    #: Whether this call wrote the ticket's push to the member's outbox.
    push_written: bool = False


@dataclass(frozen=True)
class TicketUseOutcome:
    """What using (or giving back) a ticket did."""

    status: Outcome
    reward: str
    member_number: str
    ticket_number: str
    expires_at: int


@dataclass(frozen=True)
class VisitOutcome:
    """What a check-in did (or did the first time today, when ALREADY)."""

    status: Outcome
    balance: int
    points: int
    #: Check-ins so far, over all stores, and in this calendar month.
    total: int
    this_month: int
