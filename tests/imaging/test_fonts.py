"""The one font module the card and the rich menu draw with."""

from __future__ import annotations

from bot.imaging import fonts


def test_fitted_shrinks_text_until_it_fits():
    assert fonts.fitted("会員証", 60, 1000).size == 60
    shrunk = fonts.fitted("会員証" * 10, 60, 600)
    assert shrunk.size < 60
    assert shrunk.getlength("会員証" * 10) <= 600


def test_fitted_stops_at_each_callers_smallest_size():
    # The card keeps its text at 12 px or more; the rich menu lets labels go down to 8.
    too_long = "会員証" * 200
    # From 60 by steps of 8 %: ... 15, 13, 11, 10, 9, 8; the first size at or below the floor.
    assert fonts.fitted(too_long, 60, 100).size == 11
    assert fonts.fitted(too_long, 60, 100, smallest=8).size == 8


def test_characters_the_font_lacks_are_named_once_and_dropped_from_drawn_text():
    assert fonts.missing_characters("会員証 Card") == []
    assert fonts.missing_characters("🌸𠮷野家🌸\ue000") == ["🌸", "𠮷", "\ue000"]
    assert fonts.drawable("🌸 さくら𠮷マート 🌸") == "さくらマート"
