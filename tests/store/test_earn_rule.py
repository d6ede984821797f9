"""One earn rule: what the ledger script grants is what bot/domain/points.py computes at the
rank the member's window spend reaches (the script only picks the tier)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.points import earned_points
from bot.domain.program import parse_program
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore
from tests.support.events import user_id

T0 = 1_800_000_000

programs = st.fixed_dictionaries(
    {
        "points": st.integers(1, 5),
        "per_yen": st.sampled_from([1, 100, 108, 200, 1000]),
        "rounding": st.sampled_from(["floor", "round", "ceil"]),
        "exclude": st.booleans(),
        "thresholds": st.lists(st.integers(1, 30_000), min_size=0, max_size=3, unique=True),
        "multipliers": st.lists(st.sampled_from([1, 1.1, 1.5, 2, 3]), min_size=3, max_size=3),
    }
)
sales = st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 500)), min_size=1, max_size=6)


def _program(spec: dict):
    tiers = [{"key": "t0", "name": "T0", "threshold": 0}]
    for i, threshold in enumerate(sorted(spec["thresholds"]), start=1):
        tiers.append({"key": f"t{i}", "name": f"T{i}", "threshold": threshold,
                      "multiplier": spec["multipliers"][i - 1]})  # fmt: skip
    return parse_program(
        {
            "program": {"name": "Test"},
            "earn": {"points": spec["points"], "per_yen": spec["per_yen"],
                     "rounding": spec["rounding"], "exclude_points_used": spec["exclude"]},
            "points": {"lifetime": "1000s"},
            "ranks": {"window": "100000s", "tiers": tiers},
        }
    )  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=programs, purchases=sales)
@example(  # a spend exactly at a threshold reaches that tier
    spec={"points": 1, "per_yen": 100, "rounding": "floor", "exclude": True,
          "thresholds": [1000], "multipliers": [2, 1, 1]},
    purchases=[(1000, 0), (1000, 0)],
)  # fmt: skip
def test_the_script_grants_what_the_python_rule_computes(connect_data, spec, purchases):
    program = _program(spec)
    client = connect_data()
    ledger = Ledger(client, program)
    member, _ = LoyaltyStore(client).register_member(user_id(), "t", "ja")
    spend = 0
    for i, (amount, wanted) in enumerate(purchases):
        standing = ledger.maintain(member.member_id, T0 + i)
        used = min(wanted, standing.balance, amount)
        outcome = ledger.purchase(
            member_id=member.member_id, now=T0 + i, op_key=f"p{i}", fingerprint="f",
            amount=amount, points_used=used, store_id=member.member_id, transaction_id=f"T{i}",
        )  # fmt: skip
        tier = program.ranks.for_spend(spend)
        assert outcome.points_earned == earned_points(program.earn, amount, used, tier.multiplier)
        spend += amount
        assert outcome.spend == spend
    client.close()
