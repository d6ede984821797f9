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


@pytest.mark.single_redis
def test_a_new_sale_takes_two_round_trips_once_the_key_is_known(
    client, store_key, member, card_code, monkeypatch
):
    # The first request of a key checks it on its own and teaches the process its store.
    first = _sale(client, store_key, {"transaction_id": "W", "card_code": card_code(member),
                                      "amount": 100})  # fmt: skip
    assert first.status_code == 201
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    trips = RoundTrips(monkeypatch)
    # One read script (key, binding, card index, the code's credentials), one ledger step.
    assert _sale(client, store_key, body).status_code == 201
    assert trips.count == 2
    trips.count = 0
    assert _sale(client, store_key, body).status_code == 201  # a retry: the first answer
    assert trips.count == 2


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
    assert services.outbox.waiting_count() == 0
    run_jobs()
    [push] = fake_line.recorded("/v2/bot/message/push")
    assert push.headers["x-line-retry-key"] == retry_key


@pytest.mark.single_redis
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


def test_a_sale_without_a_receipt_leaves_no_outbox_entry(
    client, store_key, services, post_webhook, run_jobs, card_code, member
):
    post_webhook(events.unfollow(member.line_user_id))
    run_jobs()
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201  # earns; no receipt to push
    assert services.outbox.waiting_count() == 0
    assert services.store.redis.hlen(keys.outbox(member.member_id)) == 0


def test_index_entries_whose_push_is_gone_are_dropped_after_the_grace(services):
    # Left by a relay that queued the push and died before forgetting the entry.
    now = services.clock()
    index = keys.outbox_index(keys.shard("m"))
    services.store.redis.zadd(index, {"m|k": now})
    assert relay(services, now) == 0
    assert services.store.redis.zcard(index) == 1
    assert relay(services, now + OUTBOX_GRACE + 1) == 0
    assert services.outbox.waiting_count() == 0


def test_a_refused_sale_writes_no_receipt(client, store_key, member, card_code, services):
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 100,
            "points_used": 50}  # fmt: skip
    assert _sale(client, store_key, body).status_code == 409
    assert services.store.redis.hlen(keys.outbox(member.member_id)) == 0
    assert services.store.transaction_binding("S001", "T1") is None


def _forged(code: str) -> str:
    """The same handle and counter digit (printed under every barcode), a made-up MAC."""
    return code[:9] + ("1234567" if code[9:] != "1234567" else "7654321")


def _bind_as_another_request(services, body: dict, member) -> None:
    """The binding a concurrent identical request (or one that died) made before its check."""
    from bot.domain.purchase import parse_purchase

    purchase, _ = parse_purchase(body)
    key = keys.store_transaction("S001", body["transaction_id"])
    services.store.redis.set(key, f"{member.member_id} {purchase.fingerprint()}")


def _seed(services, member, points: int) -> None:
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="a:seed",
                           amount=points, reason="seed")  # fmt: skip


def test_a_forged_code_under_a_binding_another_request_made_is_still_refused(
    client, store_key, member, card_code, services
):
    _seed(services, member, 500)
    body = {"transaction_id": "EVIL", "card_code": _forged(card_code(member)),
            "amount": 500, "points_used": 500}  # fmt: skip
    _bind_as_another_request(services, body, member)
    assert _sale(client, store_key, body).status_code == 404
    assert services.store.member(member.member_id).balance == 500
    # Not this request's binding: it is left to the request that made it.
    assert services.store.transaction_binding("S001", "EVIL") is not None


def test_an_expired_code_under_a_stale_binding_is_refused_and_a_good_one_applies_once(
    client, store_key, member, card_code, services, monkeypatch
):
    _seed(services, member, 500)
    old = card_code(member)
    monkeypatch.setattr(services, "clock", lambda: int(__import__("time").time()) + 3600)
    body = {"transaction_id": "T1", "card_code": old, "amount": 100, "points_used": 100}
    _bind_as_another_request(services, body, member)  # a request that died after binding
    assert _sale(client, store_key, body).status_code == 410
    fresh = {**body, "transaction_id": "T2", "card_code": card_code(member)}
    _bind_as_another_request(services, fresh, member)
    first = _sale(client, store_key, fresh)
    assert first.status_code == 201
    assert first.json["points_used"] == 100
    assert _sale(client, store_key, fresh).json == first.json  # a retry: the first answer
    # The code was claimed by T2: another transaction with it is refused.
    again = {**fresh, "transaction_id": "T3"}
    assert _sale(client, store_key, again).status_code == 410
    assert services.store.member(member.member_id).balance == 400


def test_a_retry_long_after_a_refused_try_keeps_its_receipt_indexed(
    client, store_key, member, card_code, services, monkeypatch
):
    body = {"transaction_id": "T9", "card_code": card_code(member), "amount": 1000,
            "points_used": 600}  # fmt: skip
    assert _sale(client, store_key, body).status_code == 409  # too few points
    _seed(services, member, 700)
    later = services.clock() + OUTBOX_GRACE + 1
    monkeypatch.setattr(services, "clock", lambda: later)
    body["card_code"] = card_code(member)
    real = services.ledger.purchase

    def relay_just_before_the_step(**kwargs):
        relay(services, later)  # the pushes worker's thread runs at any moment
        return real(**kwargs)

    monkeypatch.setattr(services.ledger, "purchase", relay_just_before_the_step)
    assert _sale(client, store_key, body).status_code == 201
    monkeypatch.undo()
    assert relay(services, later) == 1
    assert queue(services).count == 1


def test_an_unreadable_outbox_entry_is_set_aside_and_holds_nothing_up(
    client, store_key, member, card_code, services
):
    redis_client = services.store.redis
    now = services.clock()
    redis_client.hset(keys.outbox("deadbeef"), "rk-bad", '{"kind":"receipt","payload":{,}}')
    index = keys.outbox_index(keys.shard("deadbeef"))
    redis_client.zadd(index, {"deadbeef|rk-bad": now - 5, "no-bar": now - 5})
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 1280}
    assert _sale(client, store_key, body).status_code == 201
    assert relay(services, now) == 1
    assert queue(services).count == 1
    assert redis_client.zcard(index) == 0
    assert redis_client.hkeys(keys.outbox_dead()) == ["deadbeef|rk-bad"]
