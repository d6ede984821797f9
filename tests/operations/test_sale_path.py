"""The POS sale path: how many Redis round trips it takes, and its receipt in the outbox."""

from __future__ import annotations

import json

import pytest
import redis

from bot.jobs.outbox import relay
from bot.jobs.queue import queue
from bot.store import keys
from bot.store.outbox import OUTBOX_GRACE
from tests.support import events

SALE = "/api/v1/transactions"


class RoundTrips:
    """Counts what redis-py sends (a pipeline is one send, one round trip), sending it on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = redis.connection.AbstractConnection.send_packed_command

        def counting(conn, command, check_health=True):
            self.count += 1
            return original(conn, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)


def _sale(client, key, body):
    return client.post(SALE, json=body, headers={"Authorization": f"Bearer {key}"})


def test_a_new_sale_takes_three_round_trips_once_the_key_is_known(
    client, store_key, member, card_code, monkeypatch
):
    # The first request of a key checks it on its own and teaches the process its store.
    first = _sale(client, store_key, {"transaction_id": "W", "card_code": card_code(member),
                                      "amount": 100})  # fmt: skip
    assert first.status_code == 201
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    trips = RoundTrips(monkeypatch)
    assert _sale(client, store_key, body).status_code == 201
    assert trips.count == 3
    trips.count = 0
    assert _sale(client, store_key, body).status_code == 201  # a retry: the first answer
    assert trips.count == 3


def test_a_revoked_key_is_refused_even_while_the_process_remembers_it(
    client, store_key, member, card_code, services
):
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201
    services.store.rotate_key("S001")
    again = {"transaction_id": "T2", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, again).status_code == 401
    assert services.store.member(member.member_id).balance == 12
    assert services.store.transaction_binding("S001", "T2") is None


def test_the_receipt_is_in_the_outbox_with_the_sale_and_the_relay_queues_it_once(
    client, store_key, member, card_code, services, run_jobs, fake_line
):
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201
    # Nothing on the queue yet: the receipt waits in the member's outbox, written by the sale.
    assert queue(services).count == 0
    [(retry_key, raw)] = services.store.redis.hgetall(keys.outbox(member.member_id)).items()
    job = json.loads(raw)
    assert job["kind"] == "receipt"
    assert job["payload"]["points_earned"] == 12
    assert job["payload"]["balance"] == 12
    now = services.clock()
    assert relay(services, now) == 1
    assert relay(services, now) == 0  # moved: not queued again
    assert queue(services).count == 1
    assert services.store.redis.hlen(keys.outbox(member.member_id)) == 0
    assert services.store.redis.zcard(keys.outbox_index()) == 0
    run_jobs()
    [push] = fake_line.recorded("/v2/bot/message/push")
    assert push.headers["x-line-retry-key"] == retry_key


def test_a_relay_that_died_after_queueing_queues_the_same_job_not_a_second(
    client, store_key, member, card_code, services, run_jobs, fake_line, monkeypatch
):
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201

    def die(*args, **kwargs):
        raise redis.ConnectionError("the relay's Redis went away")

    # Queued, then the process died before forgetting the outbox entry.
    monkeypatch.setattr(redis.client.Pipeline, "zrem", die)
    with pytest.raises(redis.ConnectionError):
        relay(services, services.clock())
    monkeypatch.undo()
    assert relay(services, services.clock()) == 1  # found again: its job is still waiting
    assert queue(services).count == 1
    run_jobs()
    assert len(fake_line.recorded("/v2/bot/message/push")) == 1


def test_index_entries_without_a_receipt_wait_out_the_grace_then_go(
    client, store_key, services, post_webhook, run_jobs, fake_line, card_code, member
):
    post_webhook(events.unfollow(member.line_user_id))
    run_jobs()
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201  # earns; no receipt to push
    index = keys.outbox_index()
    assert services.store.redis.zcard(index) == 1
    now = services.clock()
    assert relay(services, now) == 0
    assert services.store.redis.zcard(index) == 1  # the step might still be on its way
    assert relay(services, now + OUTBOX_GRACE + 1) == 0
    assert services.store.redis.zcard(index) == 0
    assert queue(services).count == 0


def test_a_refused_sale_writes_no_receipt(client, store_key, member, card_code, services):
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 100,
            "points_used": 50}  # fmt: skip
    assert _sale(client, store_key, body).status_code == 409
    assert services.store.redis.hlen(keys.outbox(member.member_id)) == 0
    assert services.store.transaction_binding("S001", "T1") is None
