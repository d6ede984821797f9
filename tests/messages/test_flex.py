"""Message builders: valid for the SDK models and within LINE's documented limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from linebot.v3.messaging import FlexMessage, Message

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.messages import texts
from bot.messages.flex import CardView, ReceiptView, card_message, receipt_message

DESIGN = load_program(DEFAULT_PROGRAM).card
#: LINE's limits (PRODUCT.md §5): bubble JSON 30 KB (read strictly as 30,000 bytes), altText 1,500.
BUBBLE_LIMIT = 30_000
ALT_TEXT_LIMIT = 1500

NAMES = [
    "山田 花子",
    "",
    "🍎" * 25,
    "مرحبا بالعالم " * 3,
    "A" * 200,
    '"quotes" {braces} \\ backslash',
]


def _size(container: dict) -> int:
    return len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode())


def _check(message: dict) -> None:
    parsed = Message.from_dict(message)
    assert isinstance(parsed, FlexMessage)
    assert 0 < len(message["altText"]) <= ALT_TEXT_LIMIT
    assert _size(message["contents"]) <= BUBBLE_LIMIT


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_card_is_valid_for_any_display_name(language, name):
    view = CardView(name, "2912345678903", 123456789, "https://x.test/media/card/t.png")
    message = card_message(language, DESIGN, view)
    _check(message)
    assert "2912345678903" in message["altText"]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_receipt_is_valid(language):
    view = ReceiptView("S" * 300, datetime(2026, 11, 22, 10, 0, tzinfo=UTC), 10**8, 10**6, 5, 10**9)
    message = receipt_message(language, DESIGN, view)
    _check(message)
    assert "¥100,000,000" in message["altText"]


def test_every_text_key_exists_in_every_language():
    reference = set(texts.CATALOGUE[texts.DEFAULT_LANGUAGE])
    for language, catalogue in texts.CATALOGUE.items():
        assert set(catalogue) == reference, language


@pytest.mark.parametrize(
    ("profile", "expected"),
    [(None, "ja"), ("ja", "ja"), ("en", "en"), ("en-GB", "en"), ("fr", "ja")],
)
def test_language_follows_line_profile(profile, expected):
    assert texts.language_for(profile) == expected
