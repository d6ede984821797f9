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
    # Exact integers (a Fraction would do the same, several times slower, on every sale).
    numerator = max(eligible, 0) * rule.points * multiplier.numerator
    denominator = rule.per_yen * multiplier.denominator
    quotient, remainder = divmod(numerator, denominator)
    if rounding_up(rule.rounding, remainder, denominator):
        return quotient + 1
    return quotient


def rounding_up(rounding: str, remainder: int, denominator: int) -> bool:
    """Whether ``rounding`` turns a quotient with this remainder up."""
    if rounding == "ceil":
        return remainder > 0
    return rounding == "round" and remainder * 2 >= denominator


def earned_by_tier(rule: EarnRule, ranks: Ranks, amount: int, points_used: int = 0) -> list[int]:
    """Points a purchase earns at each rank tier, in tier order: the ledger script picks the
    entry of the tier the member's window spend reaches when it applies the purchase."""
    return [earned_points(rule, amount, points_used, tier.multiplier) for tier in ranks.tiers]
