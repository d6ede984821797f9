"""Staff invite codes: what ``staff invite`` prints and a new staff member sends to the bot.

A code is ``STAFF-`` and eight characters of an alphabet without look-alikes (no 0/O, 1/I/L,
U), about 39 random bits: typed or pasted, in any case, with or without the hyphens, in
full-width letters. Only its hash is stored, so the Redis data does not hold a usable code;
a code works once, for a day by default, and failed tries are limited per user.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

#: The characters of a code after its prefix: Crockford's base 32 without 0 and 1.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "STAFF"
#: Random characters of a code (30 possible each: 30**8, about 6.6e11 codes).
LENGTH = 8
_TYPED = re.compile(rf"^{PREFIX}[-\s]*([{ALPHABET}]{{4}})[-\s]*([{ALPHABET}]{{4}})$")


def new_code() -> str:
    """A fresh invite code, ``STAFF-7K3M-Q9PX``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def invite_code_in(text: str | None) -> str | None:
    """The invite code a message spells (canonical form), or None for any other text."""
    if not text:
        return None
    typed = unicodedata.normalize("NFKC", text).strip().upper()
    match = _TYPED.match(typed)
    return f"{PREFIX}-{match.group(1)}-{match.group(2)}" if match else None


def code_hash(code: str) -> str:
    """What is stored of a code (its SHA-256): the key it is found under."""
    return hashlib.sha256(f"staff-invite:{code}".encode()).hexdigest()
