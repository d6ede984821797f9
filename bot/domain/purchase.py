"""A POS purchase request: parsed and validated from untrusted JSON, pure."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Largest accepted purchase in JPY; a typo of extra zeros should not mint points.
MAX_AMOUNT = 100_000_000
MAX_ITEMS = 500
#: A POS transaction id: letters, digits and a little punctuation, safe in keys and URLs.
TRANSACTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")
_CARD_CODE = re.compile(r"^[0-9]{1,64}\Z")
FIELDS = {"transaction_id", "card_code", "amount", "points_used", "items", "occurred_at"}
ITEM = {"name", "quantity", "unit_price"}
#: How long a sale's idempotency record is kept (bot/store/ledger.py RECORD_TTL): a retry of
#: the same transaction within it gets the first answer.
RECORD_WINDOW = timedelta(days=90)
#: How far back and ahead of now ``occurred_at`` may be: a till that uploads offline sales late
#: is fine, a year-1 or year-9999 date is a bug (and would overflow the receipt's time zone).
#: No further back than the record window: a retry of a sale whose record has expired (it is
#: older than the window) is then refused, since its ``occurred_at`` is too, and never applied
#: a second time.
OCCURRED_PAST = RECORD_WINDOW
OCCURRED_FUTURE = timedelta(days=1)


@dataclass(frozen=True)
class Item:
    """One line of the receipt."""

    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Purchase:
    """A validated purchase."""

    transaction_id: str
    card_code: str
    amount: int
    points_used: int
    items: tuple[Item, ...]
    occurred_at: datetime | None

    def fingerprint(self) -> str:
        """A digest of the whole request: the same id with another body is a conflict."""
        # The same document dataclasses.asdict gave (bound fingerprints outlive a deploy),
        # built directly: asdict deep-copies every field, a tenth of a sale's Python time.
        data = {
            "transaction_id": self.transaction_id,
            "card_code": self.card_code,
            "amount": self.amount,
            "points_used": self.points_used,
            "items": [
                {"name": i.name, "quantity": i.quantity, "unit_price": i.unit_price}
                for i in self.items
            ],
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]  # 128 bits is plenty


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a JSON-pointer-like name and what is wrong."""

    field: str
    message: str


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_purchase(
    payload: Any, now: datetime | None = None
) -> tuple[Purchase | None, list[FieldError]]:
    """Validate a POS request body; returns the purchase or every field error. With ``now``,
    ``occurred_at`` must lie within OCCURRED_PAST before it and OCCURRED_FUTURE after."""
    if not isinstance(payload, dict):
        return None, [FieldError("", "the body must be a JSON object")]
    errors = [FieldError(k, "unknown field") for k in sorted(set(payload) - FIELDS)]
    txn = payload.get("transaction_id")
    if not isinstance(txn, str) or not TRANSACTION_ID.match(txn):
        errors.append(
            FieldError("transaction_id", "required: 1-64 letters, digits, '.', '_', ':' or '-'")
        )
    code = payload.get("card_code")
    if not isinstance(code, str) or not _CARD_CODE.match(code):
        errors.append(FieldError("card_code", "required: the digits the scanner read"))
    amount = payload.get("amount")
    amount_ok = _int(amount) and 1 <= amount <= MAX_AMOUNT
    if _int(amount) and amount == 0:
        # Nothing was bought: a sale paid wholly with points still has its amount (and its
        # points_used), so a zero amount is a mistake at the till, not a sale.
        zero = "must be at least 1 JPY: a sale of ¥0 is refused (one paid wholly with points "
        errors.append(FieldError("amount", zero + "has amount = points_used)"))
    elif not amount_ok:
        errors.append(FieldError("amount", f"required: an integer JPY from 1 to {MAX_AMOUNT}"))
    used = payload.get("points_used", 0)
    if not _int(used) or not 0 <= used <= MAX_AMOUNT:
        errors.append(FieldError("points_used", f"must be an integer from 0 to {MAX_AMOUNT}"))
    elif amount_ok and used > amount:
        # Only against a valid amount: with a bad one, amount is the field to fix.
        errors.append(FieldError("points_used", "must not exceed amount"))
    items, item_errors = _items(payload.get("items", []))
    errors += item_errors
    occurred_at = _timestamp(payload.get("occurred_at"), errors)
    if (
        occurred_at is not None
        and now is not None
        and not (now - OCCURRED_PAST <= occurred_at <= now + OCCURRED_FUTURE)
    ):
        errors.append(
            FieldError("occurred_at", "must be within the last 90 days and at most 1 day ahead")
        )
    if errors:
        return None, errors
    return Purchase(txn, code, amount, used, items, occurred_at), []


def parse_lookup(payload: Any) -> tuple[str | None, list[FieldError]]:
    """Validate a member look-up body: the card code, or the field errors (other fields are
    ignored, so a till may send what it sends with a sale)."""
    if not isinstance(payload, dict):
        return None, [FieldError("", "the body must be a JSON object")]
    code = payload.get("card_code")
    if not isinstance(code, str) or not _CARD_CODE.match(code):
        return None, [FieldError("card_code", "required: the digits the scanner read")]
    return code, []


def _items(raw: Any) -> tuple[tuple[Item, ...], list[FieldError]]:
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        return (), [FieldError("items", f"must be a list of at most {MAX_ITEMS} items")]
    items, errors = [], []
    for i, entry in enumerate(raw):
        where, before = f"items/{i}", len(errors)
        if not isinstance(entry, dict):
            errors.append(FieldError(where, "must be {name, quantity, unit_price}"))
            continue
        errors += [FieldError(f"{where}/{k}", "unknown field") for k in sorted(set(entry) - ITEM)]
        name, quantity, price = entry.get("name"), entry.get("quantity"), entry.get("unit_price")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.append(FieldError(f"{where}/name", "required: 1-100 characters"))
        if not _int(quantity) or not 1 <= quantity <= 10_000:
            errors.append(FieldError(f"{where}/quantity", "required: an integer from 1 to 10000"))
        if not _int(price) or not 0 <= price <= MAX_AMOUNT:
            errors.append(FieldError(f"{where}/unit_price", "required: an integer JPY >= 0"))
        if len(errors) == before:
            items.append(Item(name, quantity, price))
    return tuple(items), errors


def _timestamp(raw: Any, errors: list[FieldError]) -> datetime | None:
    if raw is None:
        return None
    message = "must be an RFC 3339 date-time with a time zone, e.g. 2026-11-22T15:04:05+09:00"
    if not isinstance(raw, str) or len(raw) > 40:
        errors.append(FieldError("occurred_at", message))
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError("occurred_at", message))
        return None
    if value.tzinfo is None:
        errors.append(FieldError("occurred_at", message))
        return None
    return value
