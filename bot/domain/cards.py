"""Member numbers: 13-digit in-store JAN/EAN-13 codes with a valid check digit."""

from __future__ import annotations

import secrets
import unicodedata

#: JAN codes starting 20-29 are reserved for in-store use, so they never clash with products.
DEFAULT_PREFIX = "29"
#: The prefixes a program may choose (``card.number_prefix``).
PREFIXES = tuple(f"2{d}" for d in range(10))
MEMBER_NUMBER_LENGTH = 13
#: Dashes people type between groups of digits: ASCII, Unicode hyphens and minus, and the
#: katakana long-vowel mark a Japanese keyboard gives for '-'.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")


def ean13_check_digit(first12: str) -> str:
    """The EAN-13 check digit for twelve digits."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("need exactly 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_member_number(value: str) -> bool:
    """True when ``value`` is 13 ASCII digits in the in-store range with a correct check digit."""
    return (
        len(value) == MEMBER_NUMBER_LENGTH
        and value.isascii()
        and value.isdigit()
        and value[0] == "2"
        and ean13_check_digit(value[:12]) == value[12]
    )


def parse_member_number(raw: str) -> str | None:
    """A member number as a person types it, or None: ``2 912345 678903`` as the card prints
    it, with hyphens, or in full-width digits (２９１２…), becomes ``2912345678903``."""
    digits = "".join(
        char
        for char in unicodedata.normalize("NFKC", raw)
        if not char.isspace() and char not in _DASHES
    )
    return digits if is_valid_member_number(digits) else None


def new_member_number(prefix: str = DEFAULT_PREFIX) -> str:
    """A random member number: unguessable from any other (10 random digits)."""
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(12 - len(prefix)))
    return body + ean13_check_digit(body)
