"""Rotating card codes: short numeric one-time codes that a till checks in O(1).

A code is 16 digits, ``HHHHHHHH Q MMMMMMM``:

- ``H`` (8 digits): the member's *lookup handle*, random, unique and indexed (handle -> member),
  so resolving a code is one index read and one read of the member, never a scan.
- ``Q`` (1 digit): the member's use counter mod 10. Every code used at a till bumps the counter,
  so a refreshed card shows a new code at once, even twice in the same minute.
- ``M`` (7 digits): HMAC-SHA256 over ``handle:step:counter`` keyed with a key derived from
  ``SECRET_KEY`` and the member's own random secret, as a number mod 10^7. Forging one needs
  both; a Redis dump alone is not enough, and a member's codes can be revoked by a new secret.

Time runs in *steps* of a fifth of the window (one minute for ``"5m"``). A code issued in step
``s`` is valid until ``s * step + window``: between four and five minutes for ``"5m"``, so the
"valid until" on the card is a whole minute. The step is not in the code: the checker tries
the steps a valid code can come from (newest first, one step ahead for clocks that disagree
slightly), then older steps up to ``EXPIRED_WINDOWS`` windows back, which make a genuine but
stale code *expired* (410) rather than *forged* (404).

A code from another member's screenshot is useless once its window has passed; within it, the
first till to use it claims it for one transaction (see ``bot/operations/cards.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

HANDLE_DIGITS = 8
MAC_DIGITS = 7
CODE_LENGTH = HANDLE_DIGITS + 1 + MAC_DIGITS
#: A window is this many steps; codes are issued per step.
STEPS_PER_WINDOW = 5
#: How many windows back a genuine code is still recognised as expired rather than forged.
EXPIRED_WINDOWS = 24
#: Shortest and longest accepted ``card.code_window``, in seconds.
MIN_WINDOW, MAX_WINDOW = 60, 24 * 3600
_MAC_MODULUS = 10**MAC_DIGITS


class Verdict(Enum):
    """What a presented code turned out to be."""

    VALID = "valid"
    EXPIRED = "expired"
    FORGED = "forged"


@dataclass(frozen=True)
class Credentials:
    """A member's code material: lookup handle, secret and use counter."""

    handle: str
    secret: str
    counter: int


@dataclass(frozen=True)
class IssuedCode:
    """A code to show, valid until ``expires_at`` (unix seconds)."""

    code: str
    expires_at: int


@dataclass(frozen=True)
class Check:
    """The verdict on a code; ``step`` and ``counter`` identify it when it is genuine."""

    verdict: Verdict
    step: int = 0
    counter: int = 0
    expires_at: int = 0


def derive_key(secret_key: str) -> bytes:
    """The code-signing key, kept apart from every other use of SECRET_KEY."""
    return hmac.new(secret_key.encode(), b"loyalty card codes v1", hashlib.sha256).digest()


def new_handle() -> str:
    """A random lookup handle; never starts with 0, so tills that read numbers keep every digit."""
    return str(secrets.randbelow(9 * 10 ** (HANDLE_DIGITS - 1)) + 10 ** (HANDLE_DIGITS - 1))


def new_secret() -> str:
    """A random per-member secret (128 bits, hex)."""
    return secrets.token_hex(16)


def step_seconds(window: int) -> int:
    """The length of one step for a window of ``window`` seconds."""
    return max(1, window // STEPS_PER_WINDOW)


def looks_like_code(value: str) -> bool:
    """True when ``value`` has the shape of a rotating code (not whether it is genuine)."""
    return len(value) == CODE_LENGTH and value.isascii() and value.isdigit() and value[0] != "0"


def handle_of(code: str) -> str:
    """The lookup handle of a code of the right shape."""
    return code[:HANDLE_DIGITS]


def _mac(member_key: hmac.HMAC, handle: str, step: int, counter: int) -> str:
    mac = member_key.copy()
    mac.update(f"{handle}:{step}:{counter}".encode())
    return f"{int.from_bytes(mac.digest()[:8], 'big') % _MAC_MODULUS:0{MAC_DIGITS}d}"


def _member_key(key: bytes, secret: str) -> hmac.HMAC:
    return hmac.new(hmac.new(key, secret.encode(), hashlib.sha256).digest(), None, hashlib.sha256)


def issue(key: bytes, member: Credentials, now: int, window: int) -> IssuedCode:
    """The code a member's card shows at ``now``, and when it stops being valid."""
    step_length = step_seconds(window)
    step = now // step_length
    mac = _mac(_member_key(key, member.secret), member.handle, step, member.counter)
    code = f"{member.handle}{member.counter % 10}{mac}"
    return IssuedCode(code=code, expires_at=step * step_length + window)


def check(key: bytes, member: Credentials, code: str, now: int, window: int) -> Check:
    """Whether ``code`` is this member's current code, a stale one of theirs, or neither."""
    if not looks_like_code(code) or handle_of(code) != member.handle:
        return Check(Verdict.FORGED)
    digit, mac = int(code[HANDLE_DIGITS]), code[HANDLE_DIGITS + 1 :]
    # The counter only grows: the code's counter is the latest value with this last digit.
    counter = member.counter - (member.counter - digit) % 10
    if counter < 0:
        return Check(Verdict.FORGED)
    step_length = step_seconds(window)
    now_step = now // step_length
    member_key = _member_key(key, member.secret)
    oldest = now_step - EXPIRED_WINDOWS * STEPS_PER_WINDOW
    for step in range(now_step + 1, oldest - 1, -1):
        if hmac.compare_digest(_mac(member_key, member.handle, step, counter), mac):
            expires_at = step * step_length + window
            verdict = Verdict.VALID if now < expires_at else Verdict.EXPIRED
            return Check(verdict, step=step, counter=counter, expires_at=expires_at)
    return Check(Verdict.FORGED)
