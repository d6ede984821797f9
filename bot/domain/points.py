"""Points arithmetic: how many points a purchase earns."""

from __future__ import annotations

from bot.domain.program import EarnRule


def earned_points(rule: EarnRule, amount: int, points_used: int = 0) -> int:
    """Points earned by a purchase of ``amount`` JPY, ``points_used`` of it paid in points."""
    if amount < 0 or points_used < 0:
        raise ValueError("amount and points_used must not be negative")
    eligible = amount - points_used if rule.exclude_points_used else amount
    eligible = max(eligible, 0)
    return _divide(eligible * rule.points, rule.per_yen, rule.rounding)


def _divide(numerator: int, denominator: int, rounding: str) -> int:
    """Integer division with the program's rounding; exact, no floats."""
    quotient, remainder = divmod(numerator, denominator)
    if rounding == "ceil" and remainder:
        return quotient + 1
    if rounding == "round" and remainder * 2 >= denominator:
        return quotient + 1
    return quotient
