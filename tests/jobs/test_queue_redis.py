"""QUEUE_REDIS_URL: the job queues on a Redis of their own, member data on REDIS_URL; a follow
is answered and a sale's receipt pushed across the two, and neither holds the other's keys."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker

from bot import create_app
from bot.jobs.outbox import relay
from bot.jobs.queue import event_queue, queue
from sandbox.embedded_redis import EmbeddedRedis
from tests.conftest import CHANNEL_SECRET, make_settings
from tests.support import events


@pytest.fixture
def queue_server():
    with tempfile.TemporaryDirectory(prefix="qr") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        yield server
        server.stop()


def test_queues_on_their_own_redis(redis_server, redis_client, queue_server, fake_line):
    settings = make_settings(redis_server.url, fake_line.url, QUEUE_REDIS_URL=queue_server.url)
    app = create_app({"TESTING": True, "SETTINGS": settings})
    svc = app.extensions["loyalty"]
    client = app.test_client()
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    raw = events.body(events.follow(user))
    signature = events.sign(raw, CHANNEL_SECRET)
    answer = client.post("/callback", data=raw, headers={"X-Line-Signature": signature})
    assert answer.status_code == 200
    with app.app_context():
        SimpleWorker([event_queue(svc)], connection=svc.queue_redis).work(burst=True)
    assert len(fake_line.replies()) == 1
    member = svc.store.member_for_user(user)
    key = svc.store.add_store("S1", "Shibuya")
    code = svc.card_codes.current(member, svc.clock()).value
    sale = client.post(
        "/api/v1/transactions",
        json={"transaction_id": "T1", "card_code": code, "amount": 1280},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert sale.status_code == 201
    assert relay(svc, svc.clock()) == 1  # from the member's outbox to the other Redis
    with app.app_context():
        SimpleWorker([queue(svc)], connection=svc.queue_redis).work(burst=True)
    assert len(fake_line.pushes()) == 1
    assert client.get("/healthz").get_json()["status"] == "ok"

    data = redis.Redis.from_url(redis_server.url, decode_responses=True)
    queues = redis.Redis.from_url(queue_server.url, decode_responses=True)
    assert not [k for k in data.scan_iter("rq:*")]
    assert not [k for k in queues.scan_iter("loyalty:m:*")]
    assert [k for k in queues.scan_iter("rq:*")]  # the queues did live there
    svc.line.close()
