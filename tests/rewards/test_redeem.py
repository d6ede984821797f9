"""POST /api/v1/tickets/redeem: once per ticket, idempotent per id, clear errors; expiry and
reminders of tickets in the sweep."""

from __future__ import annotations

import threading

import pytest

from bot.domain.records import Store, TicketState
from bot.domain.ticket_codes import grouped
from bot.jobs.sweep import sweep
from bot.operations import rewards
from bot.store import keys
from tests.rewards.conftest import DAY, T0, balance

REDEEM = "/api/v1/tickets/redeem"


@pytest.fixture
def redeem(client, store_key):
    def post(body, key: str = store_key):
        return client.post(REDEEM, json=body, headers={"Authorization": f"Bearer {key}"})

    return post


@pytest.fixture
def ticket(services, new_member):
    member = new_member(points=200)
    return member, rewards.exchange(services, member.member_id, "coffee", 50, "1234abcd").ticket


def test_a_ticket_is_used_once_and_a_retry_gets_the_first_answer(redeem, ticket, services):
    member, issued = ticket
    first = redeem({"transaction_id": "R-1", "ticket_code": issued.code})
    assert first.status_code == 201
    assert first.json == {
        "reward": {"key": "coffee", "name": "コーヒー1杯"},
        "member_number": member.number,
    }
    again = redeem({"transaction_id": "R-1", "ticket_code": issued.code})
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = redeem({"transaction_id": "R-2", "ticket_code": issued.code})
    assert other.status_code == 410
    assert other.json["title"] == "Ticket already used"
    used = services.tickets.ticket(member.member_id, issued.number)
    assert used.state is TicketState.USED
    [entry] = services.ledger.history(member.member_id, count=1)
    assert (entry.kind, entry.points, entry.fields["s"], entry.fields["ref"]) == (
        "use",
        0,
        "S001",
        "R-1",
    )
    assert rewards.usable_tickets(services, member.member_id) == []
    assert balance(services, member) == 150  # using a ticket takes no points


def test_the_same_id_with_another_ticket_is_409(redeem, ticket, services, new_member):
    _, issued = ticket
    other_member = new_member(points=100)
    other = rewards.exchange(services, other_member.member_id, "coffee", 50, "5678abcd").ticket
    assert redeem({"transaction_id": "R-1", "ticket_code": issued.code}).status_code == 201
    conflict = redeem({"transaction_id": "R-1", "ticket_code": other.code})
    assert conflict.status_code == 409
    assert services.tickets.ticket(other_member.member_id, other.number).usable(T0)


@pytest.mark.parametrize(
    "code",
    [
        "12345678000112345678",  # the right shape, nobody's
        "1234567890123456",  # a card code
        "1",
    ],
)
def test_an_unknown_ticket_is_404(redeem, ticket, code):
    response = redeem({"transaction_id": "R-9", "ticket_code": code})
    assert response.status_code == 404
    assert response.json["title"] == "Unknown ticket"


def test_a_forged_random_part_is_404_and_uses_nothing(redeem, ticket, services):
    member, issued = ticket
    forged = issued.code[:-1] + str((int(issued.code[-1]) + 1) % 10)
    assert redeem({"transaction_id": "R-3", "ticket_code": forged}).status_code == 404
    assert services.tickets.ticket(member.member_id, issued.number).usable(T0)
    # Nothing bound the id: it can still serve the real ticket.
    assert redeem({"transaction_id": "R-3", "ticket_code": issued.code}).status_code == 201


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["transaction_id", "ticket_code"]),
        ({"transaction_id": "R-1"}, ["ticket_code"]),
        ({"transaction_id": "bad id!", "ticket_code": "1"}, ["transaction_id"]),
        ({"transaction_id": "R-1", "ticket_code": 123}, ["ticket_code"]),
        ({"transaction_id": "R-1", "ticket_code": "１２３"}, ["ticket_code"]),
        ({"transaction_id": "R-1", "ticket_code": "1", "amount": 5}, ["amount"]),
        ([1, 2], ["body"]),
    ],
)
def test_a_bad_body_is_422_naming_the_fields(redeem, ticket, body, fields):
    response = redeem(body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == fields


def test_a_bad_key_is_401(redeem, ticket):
    _, issued = ticket
    response = redeem({"transaction_id": "R-1", "ticket_code": issued.code}, key="nope")
    assert response.status_code == 401


def test_of_100_concurrent_redemptions_of_one_ticket_exactly_one_succeeds(
    app, store_key, ticket, services
):
    member, issued = ticket
    statuses: list[int] = []

    def send(n: int) -> None:
        response = app.test_client().post(
            REDEEM,
            json={"transaction_id": f"C-{n}", "ticket_code": issued.code},
            headers={"Authorization": f"Bearer {store_key}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [410] * 99
    uses = [e for e in services.ledger.history(member.member_id, count=200) if e.kind == "use"]
    assert len(uses) == 1


def test_a_ticket_expires_after_its_lifetime_with_a_history_entry(
    redeem, services, new_member, clock
):
    member = new_member(points=100)
    quick = rewards.exchange(services, member.member_id, "quick", 10, "abcd0001").ticket
    assert quick.expires_at == T0 + 30
    clock(T0 + 29)
    assert [t.number for t in rewards.usable_tickets(services, member.member_id)] == ["0001"]
    clock(T0 + 30)
    assert rewards.usable_tickets(services, member.member_id) == []
    expired = redeem({"transaction_id": "R-late", "ticket_code": quick.code})
    assert expired.status_code == 410
    assert expired.json["title"] == "Ticket expired"
    assert sweep(services, T0 + 30).tickets_expired == 1
    assert services.tickets.ticket(member.member_id, "0001").state is TicketState.EXPIRED
    [entry] = services.ledger.history(member.member_id, count=1)
    assert (entry.kind, entry.points, entry.fields["rw"]) == ("ticket_expire", 0, "quick")
    assert sweep(services, T0 + 31).tickets_expired == 0  # once
    assert services.store.redis.zcard(keys.ticket_due_index(keys.shard(member.member_id))) == 0


def test_a_reminder_goes_before_a_ticket_expires_once_and_not_for_a_used_one(
    redeem, services, new_member, clock, run_jobs, fake_line
):
    member = new_member(points=200)
    kept = rewards.exchange(services, member.member_id, "coffee", 50, "abcd0002").ticket
    used = rewards.exchange(services, member.member_id, "coffee", 50, "abcd0003").ticket
    assert redeem({"transaction_id": "R-u", "ticket_code": used.code}).status_code == 201
    # Valid 10 days, reminded 2 days before the end.
    assert sweep(services, clock(T0 + 7 * DAY)).ticket_reminders == 0
    assert sweep(services, clock(T0 + 8 * DAY)).ticket_reminders == 1
    assert sweep(services, clock(T0 + 8 * DAY + 60)).ticket_reminders == 0
    run_jobs()
    [message] = fake_line.messages_for(member.line_user_id)
    assert message["altText"] == "コーヒー1杯のチケットは2027年3月11日までです"
    assert grouped(kept.code) in str(message)  # the ticket itself, to show at the till
    assert set(fake_line.deliveries_by_retry_key().values()) == {1}


def test_a_ticket_shorter_lived_than_the_offset_gets_no_reminder(services, new_member, clock):
    member = new_member(points=100)
    rewards.exchange(services, member.member_id, "quick", 10, "abcd0004")
    assert sweep(services, clock(T0 + 1)).ticket_reminders == 0


def test_an_undo_after_midnight_takes_the_use_off_the_day_it_was_counted(
    services, new_member, clock, store_key
):
    member = new_member(points=100)
    ticket = rewards.exchange(services, member.member_id, "coffee", 50, "d1d1d1d1").ticket
    store = Store("S001", "Shibuya")
    clock(T0 + 13 * 3600 + 58 * 60)  # 23:58 in Tokyo
    rewards.redeem(services, store, "M1", ticket.code)
    clock(T0 + 14 * 3600 + 60)  # 00:01 the next day
    assert rewards.give_back(services, store, "M1", ticket.code)
    redis = services.store.redis
    shard = keys.shard(member.member_id)
    assert redis.hget(keys.stats_day("2027-03-01", shard), "tickets_used") == "0"
    assert redis.hget(keys.stats_day("2027-03-02", shard), "tickets_used") is None
    assert redis.hget(keys.store_stats_day("S001", "2027-03-01", shard), "tickets_used") == "0"
