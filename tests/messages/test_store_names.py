"""``card.store_name_en``: English profiles read the English store name wherever the store's
name is shown (card image, card alt text, reminders, ticket image); Japanese ones read the
Japanese name."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import load_program
from bot.imaging.card_image import CardFace, render_card_png
from bot.imaging.ticket_image import TicketFace, render_ticket_png
from bot.messages.flex import CardView, card_message
from bot.messages.notices import ExpiredView, ReminderView, expired_message, reminder_message
from tests.support.flex import texts_in

PROGRAM = load_program(DEFAULT_PROGRAM)
NAMED = dataclasses.replace(PROGRAM.card, store_name="さくらマート", store_name_en="Sakura Mart")
VIEW = CardView("Hanako", "2912345678906", 10, "https://x.test/c.png", "Regular")


@pytest.mark.parametrize(("language", "name"), [("en", "Sakura Mart"), ("ja", "さくらマート")])
def test_card_and_reminders_name_the_store_in_the_shoppers_language(language, name):
    other = "さくらマート" if language == "en" else "Sakura Mart"
    card = card_message(language, NAMED, VIEW)
    assert card["altText"].startswith(name)
    reminder = reminder_message(language, NAMED, ReminderView(5, date(2027, 11, 30), 10))
    expired = expired_message(language, NAMED, ExpiredView(5, (date(2027, 11, 30),), 10))
    for message in (card, reminder, expired):
        assert other not in message["altText"]
    for message in (reminder, expired):
        assert name in message["altText"]
        assert name in texts_in(message["contents"]["header"])
        assert not any(other in t for t in texts_in(message["contents"]))


def _with_english_name(name: str):
    return dataclasses.replace(PROGRAM, card=dataclasses.replace(NAMED, store_name_en=name))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_card_image_draws_the_store_name_of_the_language(language):
    face = CardFace("static", "2912345678906", "2912345678906", "regular", language)
    one = render_card_png(face, _with_english_name("Sakura Mart"))
    two = render_card_png(face, _with_english_name("Cherry Mart"))
    # Only an English card draws the English name.
    assert (one != two) == (language == "en")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_ticket_image_draws_the_store_name_of_the_language(language):
    face = TicketFace("48213377000391205846", "coffee", language, 1_900_000_000)
    one = render_ticket_png(face, _with_english_name("Sakura Mart"))
    two = render_ticket_png(face, _with_english_name("Cherry Mart"))
    assert (one != two) == (language == "en")
