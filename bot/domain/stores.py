"""Store ids: what an admin may type, and the one form they are kept in.

Ids are case-insensitive (``s002`` and ``S002`` are one store) and kept in upper case. Stores
registered before that in another case keep their id as it was written; the repository finds
them by any case (``LoyaltyStore.resolve_store_id``).
"""

from __future__ import annotations

import re

#: A store id as kept: 1-32 upper-case letters, digits, '_' or '-'.
STORE_ID = re.compile(r"^[A-Z0-9_-]{1,32}\Z")
#: What ``canonical_store_id`` refuses with, for a command's error message.
STORE_ID_RULE = "use 1-32 letters, digits, '_' or '-' (case does not matter)"


def canonical_store_id(raw: str) -> str | None:
    """The canonical (upper-case) form of a typed store id, or None if it is not one."""
    # ASCII first: str.upper() turns some other letters into ASCII ones ('ſ' -> 'S').
    candidate = raw.strip()
    if not candidate.isascii():
        return None
    candidate = candidate.upper()
    return candidate if STORE_ID.match(candidate) else None
