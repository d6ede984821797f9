"""Ledger edge cases by table, concurrency, and durability across a Redis crash."""

from __future__ import annotations

import tempfile
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.program import parse_program
from bot.store import keys
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect
from sandbox.embedded_redis import EmbeddedRedis
from tests.support.events import user_id

T0 = 1_800_000_000
PROGRAM = parse_program(
    {
        "program": {"name": "Test"},
        "earn": {"points": 1, "per_yen": 100},
        "points": {"lifetime": "100s"},
        "ranks": {
            "window": "1000s",
            "tiers": [
                {"key": "regular", "name": "R", "threshold": 0},
                {"key": "gold", "name": "G", "threshold": 10000, "multiplier": 2},
            ],
        },
    }
)


@pytest.fixture
def ledger(connect_data) -> Ledger:
    return Ledger(connect_data(), PROGRAM)


@pytest.fixture
def member_id(ledger) -> str:
    member, _ = LoyaltyStore(ledger.redis).register_member(user_id(), "x", "ja")
    return member.member_id


def buy(ledger, member_id, key, amount, used=0, now=T0):
    return ledger.purchase(
        member_id=member_id, now=now, op_key=key, fingerprint=f"{amount}/{used}", amount=amount,
        points_used=used, store_id="S1", transaction_id=key,
    )  # fmt: skip


def refund(ledger, member_id, key, now=T0):
    return ledger.refund(
        member_id=member_id, now=now, op_key="r:" + key, purchase_key=key, store_id="S1", ref=key
    )


@pytest.mark.parametrize(
    ("amount", "earned"), [(0, 0), (99, 0), (100, 1), (199, 1), (100_000_000, 1_000_000)]
)
def test_earning_by_amount(ledger, member_id, amount, earned):
    outcome = buy(ledger, member_id, "t", amount)
    assert outcome.points_earned == earned
    assert len(ledger.lots(member_id)) == (1 if earned else 0)
    assert [e.kind for e in ledger.history(member_id)] == (["earn"] if earned else [])


def test_lot_is_live_until_exactly_its_expiry(ledger, member_id):
    buy(ledger, member_id, "t", 1000)  # 10 points, expiring at T0 + 100
    assert ledger.maintain(member_id, T0 + 99).balance == 10
    assert ledger.maintain(member_id, T0 + 100).balance == 0
    assert [(e.kind, e.points) for e in ledger.history(member_id)] == [
        ("expire", -10),
        ("earn", 10),
    ]


def test_spending_takes_the_lot_expiring_first(ledger, member_id):
    buy(ledger, member_id, "a", 1000, now=T0)  # 10 pt, expires T0+100
    buy(ledger, member_id, "b", 2000, now=T0 + 50)  # 20 pt, expires T0+150
    buy(ledger, member_id, "c", 0, used=15, now=T0 + 60)
    assert [(lot.remaining, lot.expires_at) for lot in ledger.lots(member_id)] == [(15, T0 + 150)]


def test_refund_after_partial_spend_records_the_shortfall(ledger, member_id):
    buy(ledger, member_id, "a", 5000)  # 50 points
    buy(ledger, member_id, "b", 0, used=45)  # 5 left
    outcome = refund(ledger, member_id, "a")
    assert (outcome.reversed, outcome.shortfall, outcome.balance) == (5, 45, 0)
    assert ledger.history(member_id)[0].fields["short"] == "45"


def test_refund_restores_used_points_and_is_idempotent(ledger, member_id):
    buy(ledger, member_id, "a", 5000)  # 50 points
    buy(ledger, member_id, "b", 1000, used=30)  # 20 left + 9 earned on 970 JPY
    first = refund(ledger, member_id, "b")
    assert (first.restored, first.reversed, first.balance) == (30, 9, 50)
    again = refund(ledger, member_id, "b")
    assert again.status == "replayed"
    assert (again.balance, ledger.maintain(member_id, T0).balance) == (50, 50)


def test_refund_does_not_restore_points_past_their_expiry(ledger, member_id):
    buy(ledger, member_id, "a", 5000, now=T0)  # 50 pt expiring T0+100
    buy(ledger, member_id, "b", 0, used=50, now=T0 + 10)
    outcome = refund(ledger, member_id, "b", now=T0 + 100)
    assert (outcome.restored, outcome.balance) == (0, 0)


def test_refund_of_unknown_purchase(ledger, member_id):
    assert refund(ledger, member_id, "nope").status == "not_found"


def test_rank_follows_spend_across_the_window_edge(ledger, member_id):
    buy(ledger, member_id, "a", 10_000, now=T0)  # reaches gold; earned at regular: 100
    second = buy(ledger, member_id, "b", 1000, now=T0 + 999)  # still gold: 2x
    assert second.points_earned == 20
    third = buy(ledger, member_id, "c", 1000, now=T0 + 1000)  # "a" left the window
    assert third.points_earned == 10
    assert third.spend == 2000


def test_refund_lowers_spend_and_rank(ledger, member_id):
    buy(ledger, member_id, "a", 10_000)
    assert refund(ledger, member_id, "a").spend == 0
    assert buy(ledger, member_id, "b", 1000).points_earned == 10


@pytest.mark.parametrize(
    ("amount", "status", "balance"),
    [(5, "applied", 15), (-10, "applied", 0), (-11, "insufficient", 10)],
)
def test_adjust_never_below_zero(ledger, member_id, amount, status, balance):
    buy(ledger, member_id, "a", 1000)
    got = ledger.adjust(member_id=member_id, now=T0, op_key="k", amount=amount, reason="why")
    assert got == (status, balance)


def test_adjust_with_same_key_and_other_amount_conflicts(ledger, member_id):
    assert (
        ledger.adjust(member_id=member_id, now=T0, op_key="k", amount=5, reason="r")[0] == "applied"
    )
    assert (
        ledger.adjust(member_id=member_id, now=T0, op_key="k", amount=5, reason="r")[0]
        == "replayed"
    )
    assert (
        ledger.adjust(member_id=member_id, now=T0, op_key="k", amount=6, reason="r")[0]
        == "conflict"
    )


def test_unknown_member(ledger):
    assert buy(ledger, "nobody", "t", 100).status == "no_member"
    assert ledger.maintain("nobody", T0) is None


@pytest.mark.parametrize(
    ("earned_at", "lifetime", "end_of_month", "expires"),
    [
        ("2026-11-05T10:00", "12mo", True, "2027-12-01T00:00"),
        ("2026-01-31T10:00", "1mo", False, "2026-02-28T10:00"),
        ("2026-01-31T10:00", "1mo", True, "2026-03-01T00:00"),
        ("2026-12-15T00:00", "30d", True, "2027-02-01T00:00"),
        ("2026-11-30T23:59", "1d", True, "2027-01-01T00:00"),
        ("2026-11-30T00:00", "1d", False, "2026-12-01T00:00"),
    ],
)
def test_expiry_dates(earned_at, lifetime, end_of_month, expires):
    tokyo = ZoneInfo("Asia/Tokyo")
    program = parse_program(
        {"program": {"name": "x"}, "points": {"lifetime": lifetime, "end_of_month": end_of_month}}
    )
    start = datetime.fromisoformat(earned_at).replace(tzinfo=tokyo)
    assert program.points.expiry_for(start, tokyo) == datetime.fromisoformat(expires).replace(
        tzinfo=tokyo
    )


def test_concurrent_redemptions_never_go_below_zero(ledger, member_id):
    buy(ledger, member_id, "seed", 10_000)  # 100 points
    results: list[str] = []

    def redeem(worker: int) -> None:
        for i in range(20):
            results.append(buy(ledger, member_id, f"w{worker}-{i}", 0, used=7).status)

    threads = [threading.Thread(target=redeem, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = results.count("applied")
    assert applied == 100 // 7
    assert results.count("insufficient") == 160 - applied
    assert ledger.maintain(member_id, T0).balance == 100 - 7 * applied


def test_acknowledged_writes_survive_sigkill():
    with tempfile.TemporaryDirectory(prefix="lrk") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            ledger = Ledger(connect(server.url), PROGRAM)
            member, _ = LoyaltyStore(ledger.redis).register_member(user_id(), "x", "ja")
            for i in range(50):
                buy(ledger, member.member_id, f"t{i}", 1000 + i)
            before = (ledger.lots(member.member_id), ledger.history(member.member_id, count=100))
            ledger.redis.close()
            server.kill()  # no shutdown, no final fsync: only what AOF already holds survives
            server.start()
            ledger = Ledger(connect(server.url), PROGRAM)
            after = (ledger.lots(member.member_id), ledger.history(member.member_id, count=100))
            assert after == before
            assert len(after[1]) == 50
            assert buy(ledger, member.member_id, "t0", 1000).status == "replayed"
            ledger.redis.close()
        finally:
            server.stop()


@pytest.mark.parametrize("order", [("big", "small"), ("small", "big")])
def test_refunds_in_either_order_create_no_points(ledger, member_id, order):
    # 20,000 JPY earns 200; 200 JPY is paid with those 200 points. Refunding the first before
    # the second once left the shopper 200 points: its shortfall is now owed and paid from the
    # points the second refund restores.
    assert buy(ledger, member_id, "big", 20_000).points_earned == 200
    assert buy(ledger, member_id, "small", 200, used=200).balance == 0
    first, second = (refund(ledger, member_id, key) for key in order)
    if order[0] == "big":
        assert (first.shortfall, first.balance) == (200, 0)
        assert (second.restored, second.balance) == (200, 0)
    else:
        assert (first.restored, first.balance) == (200, 200)
        assert (second.reversed, second.balance) == (200, 0)
    assert ledger.maintain(member_id, T0).balance == 0


def test_points_that_expired_unused_are_not_taken_back_or_owed(ledger, member_id):
    buy(ledger, member_id, "p1", 1000, now=T0)  # 10 points, expiring at T0 + 100
    ledger.adjust(member_id=member_id, now=T0 + 50, op_key="a:gift", amount=80, reason="gift")
    assert ledger.maintain(member_id, T0 + 110).balance == 80  # p1's 10 expired unused
    buy(ledger, member_id, "p2", 80, used=80, now=T0 + 110)  # the gift spent
    first = refund(ledger, member_id, "p1", now=T0 + 120)
    assert (first.reversed, first.shortfall) == (0, 0)
    refund(ledger, member_id, "p2", now=T0 + 120)
    # Both sales undone: the gift is back; the 10 that expired stay expired.
    assert ledger.maintain(member_id, T0 + 120).balance == 80


@pytest.mark.parametrize("refund_p2_at", [T0 + 50, T0 + 150], ids=["restored-then-expired", "lost"])
def test_points_of_a_lot_that_expired_after_another_refund_are_not_taken_back(
    ledger, member_id, refund_p2_at
):
    ledger.adjust(member_id=member_id, now=T0, op_key="a:gift", amount=500, reason="gift")
    buy(ledger, member_id, "p1", 10_000, now=T0 + 1)  # 100 points, expiring at T0 + 101
    # p2 spends the gift (it expires first, at T0 + 100) and then 60 of p1's points
    buy(ledger, member_id, "p2", 560, used=560, now=T0 + 2)
    refund(ledger, member_id, "p2", now=refund_p2_at)  # gives back what is still live
    balance_before = ledger.maintain(member_id, T0 + 200).balance
    first = refund(ledger, member_id, "p1", now=T0 + 200)
    # Everything p1 earned has expired by now, one way or the other: nothing to take back.
    assert (first.reversed, first.shortfall) == (0, 0)
    assert ledger.maintain(member_id, T0 + 200).balance == balance_before


@pytest.mark.parametrize("order", [("earner", "spender"), ("spender", "earner")])
def test_refunds_after_the_lot_expired_owe_nothing_in_either_order(ledger, member_id, order):
    # The earner's 100 points went half to the spender; the other half expired unused.
    buy(ledger, member_id, "earner", 10_000, now=T0)  # 100 points, expiring at T0 + 100
    buy(ledger, member_id, "spender", 50, used=50, now=T0 + 10)
    assert ledger.maintain(member_id, T0 + 150).balance == 0
    for key in order:
        refund(ledger, member_id, key, now=T0 + 150)
    # Both sales undone: nothing kept, nothing owed, whichever was refunded first.
    assert ledger.maintain(member_id, T0 + 150).balance == 0
    assert int(ledger.redis.hget(keys.member(member_id), "owed") or 0) == 0
