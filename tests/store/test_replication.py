"""REDIS_WAIT_REPLICAS against a real primary and replica: a sale is answered only once the
replica has it; with the replica stalled the till gets 503 and its retry the first result; and
when the primary dies and the replica takes over, no acknowledged sale is missing."""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest
import redis

from bot import create_app
from sandbox.embedded_redis import EmbeddedRedis
from tests.conftest import make_settings
from tests.support import events


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _synced(replica: EmbeddedRedis) -> bool:
    info = redis.Redis.from_url(replica.url).info("replication")
    return info.get("master_link_status") == "up"


@pytest.fixture
def pair():
    """A primary and its replica (replication needs TCP: both listen on loopback)."""
    with tempfile.TemporaryDirectory(prefix="rp") as tmp:
        port = _port()
        primary = EmbeddedRedis(Path(tmp) / "p", port=port).start()
        replica = EmbeddedRedis(Path(tmp) / "r", port=_port(), replica_of=port).start()
        deadline = time.monotonic() + 15
        while not _synced(replica):
            assert time.monotonic() < deadline, "the replica never synced"
            time.sleep(0.05)
        try:
            yield primary, replica
        finally:
            for server in (replica, primary):
                if server.process is not None and server.process.poll() is None:
                    os.kill(server.process.pid, signal.SIGCONT)
                server.kill()


def _pos_app(url: str, line_url: str, wait: str = "1/200"):
    """The app's services and a test client, waiting for ``wait`` replicas (REDIS_WAIT_REPLICAS)."""
    settings = make_settings(url, line_url, REDIS_WAIT_REPLICAS=wait)
    app = create_app({"TESTING": True, "SETTINGS": settings})
    return app.extensions["loyalty"], app.test_client()


def _shoppers(svc, count: int):
    return [svc.store.register_member(events.user_id(), "S", "ja")[0] for _ in range(count)]


def _body(svc, member, txn: str) -> dict:
    code = svc.card_codes.current(member, svc.clock()).value
    return {"transaction_id": txn, "card_code": code, "amount": 1000}


def _sale(client, svc, key: str, member, txn: str, body: dict | None = None):
    return client.post(
        "/api/v1/transactions",
        json=body or _body(svc, member, txn),
        headers={"Authorization": f"Bearer {key}"},
    )


def _cut(primary: EmbeddedRedis, replica: EmbeddedRedis) -> None:
    """The replica link breaks: the replica stops, and the primary drops its connection, so
    what the primary writes from now on reaches the replica never."""
    os.kill(replica.process.pid, signal.SIGSTOP)
    redis.Redis.from_url(primary.url).client_kill_filter(_type="replica")


def test_a_sale_waits_for_the_replica_and_a_stalled_replica_gets_503(pair, fake_line):
    primary, replica = pair
    svc, client = _pos_app(primary.url, fake_line.url)
    key = svc.store.add_store("S1", "Shibuya")
    [first, second] = _shoppers(svc, 2)
    assert _sale(client, svc, key, first, "T1").status_code == 201
    # Answered, so the replica has it already.
    mirror = redis.Redis.from_url(replica.url, decode_responses=True)
    assert int(mirror.hget(f"loyalty:m:{{{first.member_id}}}", "balance")) == 10

    os.kill(replica.process.pid, signal.SIGSTOP)  # the replica stalls: it confirms nothing
    body = _body(svc, second, "T2")
    try:
        answer = _sale(client, svc, key, second, "T2", body)
        assert answer.status_code == 503
        assert "retry" in answer.get_json()["detail"]
    finally:
        os.kill(replica.process.pid, signal.SIGCONT)
    # The till retries with the same body: the first result, granted once, now replicated.
    again = _sale(client, svc, key, second, "T2", body)
    assert again.status_code in (200, 201)
    assert again.get_json()["points_earned"] == 10
    assert svc.store.member(second.member_id).balance == 10
    assert int(mirror.hget(f"loyalty:m:{{{second.member_id}}}", "balance")) == 10
    svc.line.close()


def test_no_acknowledged_sale_is_lost_when_the_primary_dies_and_the_replica_takes_over(
    pair, fake_line
):
    primary, replica = pair
    svc, client = _pos_app(primary.url, fake_line.url)
    key = svc.store.add_store("S1", "Shibuya")
    shoppers = _shoppers(svc, 60)
    acknowledged, refused = [], 0
    for n, shopper in enumerate(shoppers):
        if n == 20:
            _cut(primary, replica)  # writes go on at the primary, but are not replicated
        if n == 40:
            primary.kill()  # and the primary dies
            os.kill(replica.process.pid, signal.SIGCONT)
            break
        answer = _sale(client, svc, key, shopper, f"T{n}")
        if answer.status_code == 201:
            acknowledged.append(shopper)
        else:
            assert answer.status_code == 503
            refused += 1
    svc.line.close()
    # The replica becomes the primary.
    promoted = redis.Redis.from_url(replica.url, decode_responses=True)
    promoted.replicaof("NO", "ONE")
    assert refused == 20  # every sale after the link broke was refused, not acknowledged
    assert len(acknowledged) == 20
    for shopper in acknowledged:
        assert int(promoted.hget(f"loyalty:m:{{{shopper.member_id}}}", "balance")) == 10
    # Without waiting, the same stall loses what the till was told was granted.
    assert _lost_without_waiting(fake_line) > 0


def _lost_without_waiting(fake_line) -> int:
    with tempfile.TemporaryDirectory(prefix="rq") as tmp:
        port = _port()
        primary = EmbeddedRedis(Path(tmp) / "p", port=port).start()
        replica = EmbeddedRedis(Path(tmp) / "r", port=_port(), replica_of=port).start()
        try:
            while not _synced(replica):
                time.sleep(0.05)
            svc, client = _pos_app(primary.url, fake_line.url, wait="0")
            key = svc.store.add_store("S1", "Shibuya")
            shoppers = _shoppers(svc, 10)
            time.sleep(0.5)  # the replica has the members
            _cut(primary, replica)
            acknowledged = [s for n, s in enumerate(shoppers)
                            if _sale(client, svc, key, s, f"T{n}").status_code == 201]  # fmt: skip
            primary.kill()
            os.kill(replica.process.pid, signal.SIGCONT)
            svc.line.close()
            promoted = redis.Redis.from_url(replica.url, decode_responses=True)
            promoted.replicaof("NO", "ONE")
            lost = sum(
                int(promoted.hget(f"loyalty:m:{{{s.member_id}}}", "balance") or 0) != 10
                for s in acknowledged
            )
            print(f"\nwithout waiting: {lost} of {len(acknowledged)} acknowledged sales lost")
            return lost
        finally:
            replica.kill()
            primary.kill()
