"""Points arithmetic: how many points a purchase earns."""

from __future__ import annotations

from fractions import Fraction

from bot.domain.program import EarnRule, Ranks


def earned_points(
    rule: EarnRule, amount: int, points_used: int = 0, multiplier: Fraction = Fraction(1)
) -> int:
    """Points earned by a purchase of ``amount`` JPY, ``points_used`` of it paid in points,
    at a rank ``multiplier``; exact rational arithmetic, rounded once at the end."""
    if amount < 0 or points_used < 0:
        raise ValueError("amount and points_used must not be negative")
    eligible = amount - points_used if rule.exclude_points_used else amount
    exact = Fraction(max(eligible, 0) * rule.points, rule.per_yen) * multiplier
    return _round(exact, rule.rounding)


def _round(value: Fraction, rounding: str) -> int:
    quotient, remainder = divmod(value.numerator, value.denominator)
    if rounding == "ceil" and remainder:
        return quotient + 1
    if rounding == "round" and remainder * 2 >= value.denominator:
        return quotient + 1
    return quotient


def earned_by_tier(rule: EarnRule, ranks: Ranks, amount: int, points_used: int = 0) -> list[int]:
    """Points a purchase earns at each rank tier, in tier order: the ledger script picks the
    entry of the tier the member's window spend reaches when it applies the purchase."""
    return [earned_points(rule, amount, points_used, tier.multiplier) for tier in ranks.tiers]
