"""Earning arithmetic, by table."""

from __future__ import annotations

import pytest

from bot.domain.points import earned_points
from bot.domain.program import EarnRule


def rule(points=1, per_yen=100, rounding="floor", exclude=True) -> EarnRule:
    return EarnRule(points=points, per_yen=per_yen, rounding=rounding, exclude_points_used=exclude)


@pytest.mark.parametrize(
    ("earn", "amount", "used", "expected"),
    [
        (rule(), 0, 0, 0),
        (rule(), 99, 0, 0),
        (rule(), 100, 0, 1),
        (rule(), 1280, 0, 12),
        (rule(rounding="ceil"), 1201, 0, 13),
        (rule(rounding="ceil"), 1200, 0, 12),
        (rule(rounding="round"), 1249, 0, 12),
        (rule(rounding="round"), 1250, 0, 13),
        (rule(points=1, per_yen=200), 1999, 0, 9),
        (rule(points=3, per_yen=100), 1000, 0, 30),
        (rule(), 1000, 100, 9),
        (rule(exclude=False), 1000, 100, 10),
        (rule(), 1000, 1000, 0),
        (rule(), 100_000_000, 0, 1_000_000),
    ],
)
def test_earned_points(earn, amount, used, expected):
    assert earned_points(earn, amount, used) == expected


def test_negative_amounts_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        earned_points(rule(), -1)
