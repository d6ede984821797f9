"""Exchanging points for tickets: once per confirm, FIFO, stock under concurrency, goals."""

from __future__ import annotations

import secrets
import threading

import pytest

from bot.domain.errors import (
    InsufficientPointsError,
    RewardChangedError,
    SoldOutError,
    UnknownRewardError,
)
from bot.domain.records import TicketState
from bot.domain.ticket_codes import looks_like_ticket_code, parts
from bot.operations import rewards
from bot.store import keys
from tests.rewards.conftest import DAY, T0, balance, give


def test_an_exchange_takes_the_cost_and_issues_one_ticket(services, new_member):
    member = new_member(points=120)
    done = rewards.exchange(services, member.member_id, "coffee", 50, "aa11bb22")
    assert (done.balance, done.replayed) == (70, False)
    ticket = done.ticket
    assert ticket.reward == "coffee"
    assert ticket.state is TicketState.ACTIVE
    assert ticket.expires_at == T0 + 10 * DAY
    assert looks_like_ticket_code(ticket.code)
    handle, number = parts(ticket.code)
    assert services.store.code_credentials(member.member_id).handle == handle
    assert number == ticket.number == "0001"
    assert balance(services, member) == 70
    [entry] = services.ledger.history(member.member_id, count=1)
    assert (entry.kind, entry.points, entry.balance) == ("exchange", -50, 70)
    assert entry.fields["rw"] == "coffee"


def test_a_double_tap_or_a_redelivered_postback_issues_one_ticket(services, new_member):
    member = new_member(points=120)
    first = rewards.exchange(services, member.member_id, "coffee", 50, "cafe0001")
    again = rewards.exchange(services, member.member_id, "coffee", 50, "cafe0001")
    assert again.replayed
    assert again.ticket == first.ticket
    assert balance(services, member) == 70
    assert len(services.tickets.tickets(member.member_id)) == 1


def test_concurrent_taps_of_one_confirm_issue_one_ticket(services, new_member):
    member = new_member(points=1000)
    results: list[str] = []

    def tap() -> None:
        done = rewards.exchange(services, member.member_id, "coffee", 50, "feed0001")
        results.append(done.ticket.code)

    threads = [threading.Thread(target=tap) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert len(set(results)) == 1
    assert balance(services, member) == 950


def test_too_few_points_says_so_and_takes_nothing(services, new_member):
    member = new_member(points=49)
    with pytest.raises(InsufficientPointsError) as raised:
        rewards.exchange(services, member.member_id, "coffee", 50, "00000001")
    assert (raised.value.balance, raised.value.requested) == (49, 50)
    assert balance(services, member) == 49
    assert services.tickets.tickets(member.member_id) == []


def test_points_expiring_first_pay_for_the_ticket(services, new_member, clock):
    member = new_member(points=30)  # expires T0 + 40 days
    clock(T0 + 5 * DAY)
    give(services, member, 100)  # expires T0 + 45 days
    rewards.exchange(services, member.member_id, "coffee", 50, "fifo0001")
    lots = services.ledger.lots(member.member_id)
    assert [(lot.remaining, lot.expires_at) for lot in lots] == [(80, T0 + 45 * DAY)]


def test_stock_never_goes_below_zero_under_concurrency(services, new_member):
    members = [new_member(points=500) for _ in range(10)]
    outcomes: list[str] = []

    def exchange(member) -> None:
        try:
            rewards.exchange(services, member.member_id, "bag", 100, secrets.token_hex(8))
            outcomes.append("ticket")
        except SoldOutError:
            outcomes.append("sold out")

    threads = [threading.Thread(target=exchange, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sold out"] * 7 + ["ticket"] * 3
    assert services.tickets.issued(["bag"]) == {"bag": 3}
    # Who got none kept every point.
    assert sorted(balance(services, m) for m in members) == [400] * 3 + [500] * 7
    offers = {o.reward.key: o for o in rewards.catalogue(services, members[0].member_id).offers}
    assert offers["bag"].left == 0


def test_a_cost_changed_since_the_confirm_is_refused_unless_it_was_exchanged(services, new_member):
    member = new_member(points=500)
    with pytest.raises(RewardChangedError):
        rewards.exchange(services, member.member_id, "coffee", 40, "0ld00001")
    assert balance(services, member) == 500
    first = rewards.exchange(services, member.member_id, "coffee", 50, "0ld00002")
    # The program later asks 60: the same confirm still gives back its ticket, takes nothing.
    object.__setattr__(services.settings.program.reward("coffee"), "cost", 60)
    again = rewards.exchange(services, member.member_id, "coffee", 50, "0ld00002")
    assert again.replayed
    assert again.ticket == first.ticket
    assert balance(services, member) == 450


@pytest.mark.parametrize("key", ["gold-gift", "nothing", ""])
def test_rewards_without_a_cost_or_unknown_cannot_be_exchanged(services, new_member, key):
    member = new_member(points=500)
    with pytest.raises(UnknownRewardError):
        rewards.exchange(services, member.member_id, key, 0, "00000002")
    assert balance(services, member) == 500


def test_the_catalogue_shows_cost_what_is_needed_and_stock(services, new_member):
    member = new_member(points=60)
    found = rewards.catalogue(services, member.member_id)
    assert found.balance == 60
    assert [(o.reward.key, o.needed, o.left) for o in found.offers] == [
        ("coffee", 0, None),
        ("bag", 40, 3),
        ("quick", 0, None),
    ]


def test_reaching_a_rank_gives_its_goal_ticket_once_with_a_push(
    client, services, store_key, new_member, card_code, run_jobs, fake_line
):
    member = new_member()
    headers = {"Authorization": f"Bearer {store_key}"}

    def sale(txn: str, amount: int) -> dict:
        return {"transaction_id": txn, "card_code": card_code(member), "amount": amount}

    def post(body: dict) -> int:
        return client.post("/api/v1/transactions", json=body, headers=headers).status_code

    assert post(sale("T1", 6000)) == 201
    assert services.tickets.tickets(member.member_id) == []
    second = sale("T2", 6000)
    assert post(second) == 201  # 12,000 JPY: gold
    [gift] = services.tickets.tickets(member.member_id)
    assert (gift.reward, gift.source) == ("gold-gift", "goal")
    assert post(second) == 201  # a retry of the sale: still one
    assert post(sale("T3", 1000)) == 201
    assert len(services.tickets.tickets(member.member_id)) == 1
    run_jobs()
    pushed = fake_line.messages_for(member.line_user_id)
    tickets = [m for m in pushed if "ゴールド特典" in m.get("altText", "")]
    assert len(tickets) == 1
    assert set(fake_line.deliveries_by_retry_key().values()) == {1}
    ops = services.store.redis.hgetall(keys.member_ledger(member.member_id).ops)
    assert "g:rank:gold:gold-gift" in ops


def test_a_refund_of_the_sale_that_paid_for_a_ticket_records_a_shortfall(
    client, services, store_key, new_member, card_code
):
    member = new_member()
    headers = {"Authorization": f"Bearer {store_key}"}
    body = {"transaction_id": "T9", "card_code": card_code(member), "amount": 5000}
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    rewards.exchange(services, member.member_id, "coffee", 50, "5b0f0001")
    assert balance(services, member) == 0
    refund = client.post("/api/v1/transactions/T9/refund", headers=headers)
    assert refund.status_code == 201
    assert (refund.json["points_reversed"], refund.json["shortfall"]) == (0, 50)
    assert refund.json["balance"] == 0
    # The ticket stands (it was paid for when issued); it pays once.
    [ticket] = rewards.usable_tickets(services, member.member_id)
    assert ticket.reward == "coffee"
