"""Entrance check-in codes: what the QR code at a store's entrance carries.

A QR code opens the chat with the bot and a message the shopper sends, ``チェックイン <store>
<code>``. Two kinds of code, both an HMAC of the store id keyed with a key derived from
``SECRET_KEY``, so only the app can make them:

- **rotating** (the entrance screen): 8 digits for the store and a time step of
  ``visits.code_window`` seconds. Accepted for the current step and the one before (so a code
  scanned just before it changed still works: 30 to 60 s for "30s"), and one ahead for clocks
  that disagree. A photo of the screen sent later is *expired*.
- **daily** (a printed poster): ``YYYYMMDD-`` and 8 digits for the store and that local day.
  Accepted on that day only.

A code made for another store, or made up, is *invalid*; one that is genuine but old is
*expired* (so the shopper hears "scan the code again" rather than "this is not a code").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

DIGITS = 8
#: How many steps back a rotating code is still recognised as expired rather than invalid.
EXPIRED_STEPS = 240
#: The words that start a check-in message (matched after NFKC and case folding).
KEYWORDS = ("チェックイン", "check-in", "checkin")
_MESSAGE = re.compile(r"^(\S+)\s+([A-Za-z0-9_-]{1,32})\s+((?:\d{8}-)?\d{8})$")
_MODULUS = 10**DIGITS


class Verdict(Enum):
    """What a presented check-in code turned out to be."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class CheckInRequest:
    """A check-in message, as sent: the store id it names and the code."""

    store_id: str
    code: str


def derive_key(secret_key: str) -> bytes:
    """The check-in code key, kept apart from every other use of SECRET_KEY."""
    return hmac.new(secret_key.encode(), b"loyalty check-in codes v1", hashlib.sha256).digest()


def _mac(key: bytes, store_id: str, what: str) -> str:
    digest = hmac.new(key, f"{store_id.upper()}:{what}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % _MODULUS:0{DIGITS}d}"


def rotating_code(key: bytes, store_id: str, now: int, window: int) -> str:
    """The entrance screen's code at ``now``."""
    return _mac(key, store_id, f"step:{now // window}")


def daily_code(key: bytes, store_id: str, day: date) -> str:
    """A poster's code for one local day."""
    return f"{day:%Y%m%d}-" + _mac(key, store_id, f"day:{day.isoformat()}")


def message(store_id: str, code: str) -> str:
    """The text the QR code makes the shopper send."""
    return f"{KEYWORDS[0]} {store_id} {code}"


def parse(text: str, normalised: str) -> CheckInRequest | None:
    """The check-in a message asks for (``normalised``: the text after NFKC and case folding),
    or None when it is no check-in message."""
    found = _MESSAGE.match(normalised)
    if not found or found.group(1) not in {k.casefold() for k in KEYWORDS}:
        return None
    return CheckInRequest(found.group(2).upper(), found.group(3))


def check(key: bytes, store_id: str, code: str, now: int, window: int, today: date) -> Verdict:
    """Whether ``code`` is a current code of ``store_id``."""
    if "-" in code:
        day_part = code.split("-", 1)[0]
        if hmac.compare_digest(daily_code(key, store_id, today), code):
            return Verdict.VALID
        try:
            day = date(int(day_part[:4]), int(day_part[4:6]), int(day_part[6:8]))
        except ValueError:
            return Verdict.INVALID
        genuine = hmac.compare_digest(daily_code(key, store_id, day), code)
        return Verdict.EXPIRED if genuine and day < today else Verdict.INVALID
    step = now // window
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(_mac(key, store_id, f"step:{candidate}"), code):
            return Verdict.VALID
    for candidate in range(step - 2, step - EXPIRED_STEPS, -1):
        if hmac.compare_digest(_mac(key, store_id, f"step:{candidate}"), code):
            return Verdict.EXPIRED
    return Verdict.INVALID
