"""A purchase's fingerprint: the same body, the same digest, across versions of the code."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime

import pytest

from bot.domain.purchase import Item, Purchase, parse_purchase

WHEN = datetime.fromisoformat("2026-11-22T15:04:05+09:00")


def _asdict_fingerprint(purchase: Purchase) -> str:
    """How fingerprints were computed when the first bindings were stored."""
    data = asdict(purchase)
    data["occurred_at"] = purchase.occurred_at.isoformat() if purchase.occurred_at else None
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@pytest.mark.parametrize(
    "purchase",
    [
        Purchase("T1", "1234", 1280, 0, (), None),
        Purchase("T-2:x", "9" * 16, 100, 50, (Item("おにぎり", 2, 150), Item("tea", 1, 0)), WHEN),
    ],
)
def test_fingerprint_is_the_one_stored_bindings_were_made_with(purchase):
    assert purchase.fingerprint() == _asdict_fingerprint(purchase)


def test_another_body_has_another_fingerprint():
    one, _ = parse_purchase({"transaction_id": "T1", "card_code": "1", "amount": 100})
    other, _ = parse_purchase({"transaction_id": "T1", "card_code": "1", "amount": 1000})
    assert one is not None
    assert other is not None
    assert one.fingerprint() != other.fingerprint()
