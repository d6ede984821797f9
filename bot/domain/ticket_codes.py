"""Ticket codes: 20 digits a till scans from a reward ticket, ``HHHHHHHH NNNN RRRRRRRR``.

- ``H`` (8 digits): the member's code lookup handle (bot/domain/card_codes.py), so finding the
  ticket is one index read, never a scan.
- ``N`` (4 digits): the ticket's number among the member's tickets.
- ``R`` (8 digits): random, drawn when the ticket is issued and kept with it: knowing a
  member's handle and ticket numbers is not enough to use their tickets.

Longer than a card code (16 digits), so one scanner field can take either. A ticket serves
one transaction; what the ticket is (used, expired) is in Redis, not in the code.
"""

from __future__ import annotations

import secrets

from bot.domain.card_codes import HANDLE_DIGITS

NUMBER_DIGITS = 4
RANDOM_DIGITS = 8
CODE_LENGTH = HANDLE_DIGITS + NUMBER_DIGITS + RANDOM_DIGITS


def new_random_part() -> str:
    """The random digits of a new ticket's code."""
    return f"{secrets.randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"


def looks_like_ticket_code(value: str) -> bool:
    """True when ``value`` has the shape of a ticket code (not whether it names a ticket)."""
    return len(value) == CODE_LENGTH and value.isascii() and value.isdigit() and value[0] != "0"


def parts(code: str) -> tuple[str, str]:
    """The (handle, ticket number) of a code of the right shape."""
    return code[:HANDLE_DIGITS], code[HANDLE_DIGITS : HANDLE_DIGITS + NUMBER_DIGITS]


def grouped(code: str) -> str:
    """The code in groups of four, as printed under the barcode."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
