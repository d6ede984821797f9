"""Message builders: valid for the SDK models and within LINE's documented limits."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from linebot.v3.messaging import FlexMessage, Message

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.messages import texts
from bot.messages.flex import CardView, ReceiptView, card_message, receipt_message
from tests.support.flex import texts_in

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


TOKYO = ZoneInfo("Asia/Tokyo")


def _card_view(name: str, **changes) -> CardView:
    view = CardView(
        display_name=name,
        number="2912345678903",
        balance=123456789,
        image_url="https://x.test/media/card/" + "t" * 400 + ".png",
        rank_name="ゴールド",
        rank_color="#D4AF37",
        expiring=(datetime(2027, 11, 30, 23, 59, 59, tzinfo=TOKYO), 1234),
        valid_until=datetime(2026, 11, 22, 10, 5, tzinfo=TOKYO),
    )
    return dataclasses.replace(view, **changes)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", [*NAMES, "👨‍👩‍👧‍👦" * 60, "\u202eשלום עולם" * 20])
def test_card_is_valid_for_any_display_name(language, name):
    message = card_message(language, DESIGN, _card_view(name))
    _check(message)
    assert "2912345678903" in message["altText"]
    assert "10:05" in message["altText"]
    bubble = message["contents"]
    assert bubble["hero"]["aspectRatio"] == "8:5"
    assert bubble["body"]["contents"][0]["text"] == (name or "-")


def _actions(node) -> list[dict]:
    if isinstance(node, dict):
        own = [node["action"]] if "action" in node else []
        return own + [a for v in node.values() for a in _actions(v)]
    if isinstance(node, list):
        return [a for v in node for a in _actions(v)]
    return []


def test_card_shows_rank_balance_soonest_expiry_validity_and_buttons():
    message = card_message("ja", DESIGN, _card_view("山田 花子"))
    texts = texts_in(message["contents"])
    for expected in ("ゴールド", "123,456,789 pt", "1,234 pt（2027年11月30日まで）", "10:05"):
        assert expected in texts, expected
    assert [a["data"] for a in _actions(message["contents"])] == [
        "action=card",
        "action=points",
        "action=history",
    ]
    assert message["altText"] == (
        "さくらマート 会員証 会員番号 2912345678903 / 123,456,789ポイント / ゴールド"
        " / コードは10:05まで有効"
    )


def test_static_card_has_no_validity_and_nothing_expiring_is_said():
    message = card_message("en", DESIGN, _card_view("Alex", valid_until=None, expiring=None))
    texts = texts_in(message["contents"])
    assert "None" in texts
    assert not any("valid" in t.lower() for t in texts)
    assert "valid" not in message["altText"]


@pytest.mark.parametrize(("colour", "ink"), [("#D4AF37", "#111111"), ("#1E3A5F", "#FFFFFF")])
def test_rank_badge_text_reads_on_the_rank_colour(colour, ink):
    message = card_message("ja", DESIGN, _card_view("x", rank_color=colour))
    rank_row = message["contents"]["body"]["contents"][2]
    badge = rank_row["contents"][1]
    assert badge["backgroundColor"] == colour
    assert badge["contents"][0]["color"] == ink


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
