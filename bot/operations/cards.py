"""Card codes against the store: what a card shows now, and whose card a till scanned.

The rules are in ``bot/domain/card_codes.py``; this module adds the Redis look-ups (a code
handle index, the member's secret and counter) and the record of each code's first use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain import card_codes
from bot.domain.card_codes import Credentials, Verdict
from bot.domain.cards import is_valid_member_number
from bot.domain.errors import (
    ExpiredCardCodeError,
    MemberNumberNotAcceptedError,
    UnknownCardError,
)
from bot.domain.program import Program
from bot.domain.records import Member
from bot.store import keys
from bot.store.redis_store import LoyaltyStore

log = logging.getLogger(__name__)

#: Static card codes (and the URLs of their images) are good for this long, in seconds.
STATIC_LIFETIME = 7 * 24 * 3600


@dataclass(frozen=True)
class ShownCode:
    """What a card shows: ``mode`` ``rotating`` or ``static``, the barcode value, its expiry."""

    mode: str
    value: str
    expires_at: int


@dataclass(frozen=True)
class Scan:
    """A resolved card code: the member and, for a rotating code (which serves one
    transaction), the step and counter it was issued for."""

    member_id: str
    code: tuple[int, int] | None = None


class CardCodes:
    """Issue and resolve card codes for one program."""

    def __init__(self, store: LoyaltyStore, program: Program, secret_key: str) -> None:
        self.store = store
        self.program = program
        self._key = card_codes.derive_key(secret_key)

    @property
    def window(self) -> int:
        """How long a rotating code is valid, in seconds."""
        return self.program.code_window

    def current(self, member: Member, now: int) -> ShownCode:
        """The code the member's card shows at ``now``."""
        if self.program.code_mode == "static":
            return ShownCode("static", member.number, now + STATIC_LIFETIME)
        credentials = self.store.code_credentials(member.member_id)
        if credentials is None:
            raise UnknownCardError(member.number)
        issued = card_codes.issue(self._key, credentials, now, self.window)
        return ShownCode("rotating", issued.code, issued.expires_at)

    def index_key(self, card_code: str) -> str:
        """The index that names the member behind ``card_code``, or the error for the till.

        A current rotating code is accepted in both modes (cards shown just before a switch to
        ``static`` keep working). A member number is accepted only in ``static`` mode: it is
        printed on every card and never changes, so accepting it would make any screenshot or
        photo of a card work forever.
        """
        if card_codes.looks_like_code(card_code):
            return keys.card_handle(card_codes.handle_of(card_code))
        if is_valid_member_number(card_code):
            if self.program.code_mode != "static":
                raise MemberNumberNotAcceptedError(card_code)
            return keys.card_number(card_code)
        raise UnknownCardError(card_code)

    def verify(
        self, card_code: str, member_id: str, credentials: Credentials | None, now: int
    ) -> Scan:
        """Check a code against its member's ``credentials`` (read after ``index_key``; not
        needed for a member number), or raise the error for the till."""
        if not card_codes.looks_like_code(card_code):
            return Scan(member_id)
        if credentials is None:
            raise UnknownCardError(card_code)
        result = card_codes.check(self._key, credentials, card_code, now, self.window)
        if result.verdict is Verdict.FORGED:
            log.warning("refused a forged card code")
            raise UnknownCardError(card_code)
        if result.verdict is Verdict.EXPIRED:
            raise ExpiredCardCodeError(card_code)
        return Scan(member_id, (result.step, result.counter))

    def resolve(self, card_code: str, now: int) -> Scan:
        """The member a scanned code belongs to, or the error that tells the till what to do."""
        member_id = self.store.member_id_indexed(self.index_key(card_code))
        if member_id is None:
            raise UnknownCardError(card_code)
        credentials = None
        if card_codes.looks_like_code(card_code):
            credentials = self.store.code_credentials(member_id)
        return self.verify(card_code, member_id, credentials, now)

    @property
    def claim_ttl(self) -> int:
        """How long a code's use record is kept: long enough to outlive the code, which is
        refused as expired after that anyway (seconds)."""
        return self.window + 2 * card_codes.step_seconds(self.window)

    def used(self, scan: Scan) -> bool:
        """True once a transaction has taken this (rotating) code."""
        if scan.code is None:
            return False
        return self.store.code_holder(scan.member_id, *scan.code) is not None
