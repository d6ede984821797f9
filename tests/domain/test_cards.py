"""Member numbers: in-store EAN-13 range, valid check digit, random."""

from __future__ import annotations

import pytest

from bot.domain.cards import (
    ean13_check_digit,
    is_valid_member_number,
    new_member_number,
    parse_member_number,
)


@pytest.mark.parametrize(
    ("first12", "check"), [("490123456789", "4"), ("400638133393", "1"), ("200000000000", "8")]
)
def test_check_digit_matches_known_codes(first12, check):
    assert ean13_check_digit(first12) == check


def test_new_numbers_are_valid_in_store_codes_and_distinct():
    numbers = {new_member_number() for _ in range(2000)}
    # 10 random digits: two of 2,000 collide once in about 5,000 runs, three almost never.
    assert len(numbers) >= 1999
    assert all(is_valid_member_number(n) and n.startswith("29") for n in numbers)


@pytest.mark.parametrize(
    "value", ["", "4901234567894", "2900000000002", "290000000000", "29000000000000", "２９０"]
)
def test_invalid_member_numbers(value):
    assert not is_valid_member_number(value)


@pytest.mark.parametrize("prefix", ["20", "25", "29"])
def test_numbers_use_the_configured_prefix(prefix):
    numbers = [new_member_number(prefix) for _ in range(200)]
    assert all(n.startswith(prefix) and is_valid_member_number(n) for n in numbers)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2912345678906", "2912345678906"),
        ("2 912345 678906", "2912345678906"),
        ("2912-3456-78906", "2912345678906"),
        ("２９１２３４５６７８９０６", "2912345678906"),
        ("2\u3000912345\u3000678906", "2912345678906"),
        ("2912\u221234567\u20108906", "2912345678906"),
        ("2912345678907", None),  # check digit
        ("29123456789", None),
        ("2912345678906 1", None),
        ("29.12345678906", None),
        ("", None),
    ],
)
def test_a_member_number_is_read_as_people_type_it(typed, number):
    assert parse_member_number(typed) == number
