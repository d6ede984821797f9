"""The one text-colour rule: WCAG contrast ratio, and the ink with the higher contrast."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.domain.colours import DARK_INK, LIGHT_INK, contrast_ratio, ink_on, relative_luminance, rgb
from bot.domain.program import load_program

#: The rank colours of the example program, which the card and the Flex badge both show.
EXAMPLE_RANKS = [tier.color for tier in load_program(DEFAULT_PROGRAM).ranks.tiers]


#: Backgrounds and the ink that reads on them (contrast of dark / white ink noted).
INKS = [
    ("#8D99AE", DARK_INK),  # regular: 6.6 / 2.9
    ("#A8A9AD", DARK_INK),  # silver: 8.0 / 2.4
    ("#D4AF37", DARK_INK),  # gold: 9.0 / 2.1
    ("#F2C94C", DARK_INK),  # 11.9 / 1.6
    ("#06C755", DARK_INK),  # LINE green: 8.4 / 2.3
    ("#FF0000", DARK_INK),  # 4.7 / 4.0: close, but dark wins
    ("#9E9E9E", DARK_INK),
    ("#FFFFFF", DARK_INK),
    ("#777777", LIGHT_INK),  # 4.2 / 4.5: close, but white wins
    ("#C0392B", LIGHT_INK),
    ("#0000FF", LIGHT_INK),
    ("#1E3A5F", LIGHT_INK),
    ("#1E1E1E", LIGHT_INK),
    ("#000000", LIGHT_INK),
]


def test_the_table_holds_the_example_programs_rank_colours():
    assert set(EXAMPLE_RANKS) <= {background for background, _ in INKS}


@pytest.mark.parametrize(("background", "ink"), INKS)
def test_the_ink_with_the_higher_contrast_is_chosen(background, ink):
    other = LIGHT_INK if ink == DARK_INK else DARK_INK
    assert ink_on(background) == ink
    assert contrast_ratio(background, ink) > contrast_ratio(background, other)


def test_contrast_runs_from_one_to_twenty_one():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21)
    for colour in ("#000000", "#FFFFFF", "#D4AF37", "#123456"):
        assert contrast_ratio(colour, colour) == 1


def test_relative_luminance_follows_wcag():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1)
    # The green channel weighs most, blue least.
    assert relative_luminance("#00FF00") == pytest.approx(0.7152)
    assert relative_luminance("#0000FF") == pytest.approx(0.0722)
    assert relative_luminance("#808080") == pytest.approx(0.2158605, abs=1e-6)


def test_colours_are_read_as_hex_triples():
    assert rgb("#06c755") == (6, 199, 85)
    with pytest.raises(ValueError, match="#RRGGBB"):
        rgb("06C755")
