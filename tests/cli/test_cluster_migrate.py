"""``cluster migrate``: a single Redis the bot has run on is copied into an empty Redis Cluster
of three primaries, and the bot on the cluster goes on from where it was: the same points,
history, tickets, figures and stores, a sale with the same API key, a refund of a sale made
before the copy, and the receipts still waiting in the outbox pushed."""

from __future__ import annotations

import dataclasses
import inspect
import tempfile
import time
from pathlib import Path

import pytest
from rq import SimpleWorker

from bot import create_app
from bot.config import SettingsError
from bot.jobs.outbox import relay
from bot.jobs.queue import event_queue, queue
from bot.jobs.sweep import sweep
from bot.operations import campaigns, rewards, visits
from bot.operations.campaigns import Segment
from bot.operations.stats import figures
from bot.store import keys
from bot.store.clients import connect
from bot.store.cluster_copy import ClusterCopy, CopyRefused
from sandbox.embedded_redis import EmbeddedCluster, EmbeddedRedis, free_ports
from tests.campaigns.test_notices import NOTICE, T0
from tests.conftest import make_settings
from tests.support.events import user_id
from tests.support.keyspace import every_key
from tests.support.waiting import wait_for

DAY = 86400
M = "0123456789abcdef01234567"  # a member id
#: A sample call of every key-naming function of bot/store/keys.py: its arguments, the Redis
#: type of the key, and how ``cluster_placement`` must move it.
SAMPLES: dict[str, tuple[tuple, str, str]] = {
    "member": ((M,), "hash", "copy"),
    "replication_mark": ((M,), "string", "copy"),
    "operation_record": ((M, "p:S1:T1"), "string", "copy"),
    "outbox": ((M,), "hash", "copy"),
    "code_use": ((M, 30, 12345), "string", "copy"),
    "member_reminders": ((M,), "hash", "copy"),
    "member_reminder": ((M, "30:2026-12-01"), "string", "copy"),
    "tickets": ((M,), "hash", "copy"),
    "member_visits": ((M,), "hash", "copy"),
    "outbox_dead": ((), "hash", "copy"),
    "card_number": (("1234567890123",), "string", "copy"),
    "card_handle": (("h4nd1e",), "string", "copy"),
    "store": (("S001",), "hash", "copy"),
    "store_index": ((), "set", "copy"),
    "store_index_complete": ((), "string", "copy"),
    "store_transaction": (("S001", "T1"), "string", "copy"),
    "api_key": (("ab" * 32,), "string", "copy"),
    "webhook_event": (("01HEVENT",), "string", "copy"),
    "staff": ((M,), "hash", "copy"),
    "staff_index": ((), "set", "copy"),
    "staff_session": ((M,), "string", "copy"),
    "staff_last_grant": ((M,), "string", "copy"),
    "store_grants": (("S001", "2026-12-01"), "hash", "copy"),
    "staff_answered": (("T1",), "string", "copy"),
    "staff_invite": (("cd" * 32,), "string", "copy"),
    "staff_invite_failures": ((M,), "string", "copy"),
    "sweep_run": (("2026-12-01",), "string", "copy"),
    "sweep_part": (("2026-12-01", "s3.0"), "string", "copy"),
    "sweep_stagger": (("2026-12-01",), "string", "copy"),
    "push_window": ((), "zset", "copy"),
    "line_quota": ((), "string", "copy"),
    "card_image": (("ef" * 16,), "string", "copy"),
    "reward_issued": (("coffee",), "string", "copy"),
    "ticket_use": (("S001", "U1"), "string", "copy"),
    "beacons": ((), "hash", "copy"),
    "campaign": (("n1",), "hash", "copy"),
    "campaign_members": (("n1",), "list", "copy"),
    "campaign_index": ((), "zset", "copy"),
    "member_index_complete": ((), "string", "copy"),
    "archive_forget": ((), "set", "copy"),
    "archive_lock": ((), "string", "copy"),
    "stats_day": (("2026-12-01",), "hash", "first_shard"),
    "store_stats_day": (("S001", "2026-12-01"), "hash", "first_shard"),
    "outbox_index": ((), "zset", "by_member"),
    "due_index": ((), "zset", "by_member"),
    "ticket_due_index": ((), "zset", "by_member"),
    "members_index": ((), "zset", "by_member"),
    "active_index": ((), "zset", "by_member"),
    "blocked_index": ((), "set", "by_member"),
    "store_active_index": (("S001",), "zset", "by_member"),
    "language_index": (("ja",), "set", "by_member"),
    "reminder_watermark": (("30",), "string", "every_shard"),
    "api_rate": (("ab" * 32, 29_000_000), "string", "drop"),
    "card_failures": (("ab" * 32, 29_000_000), "string", "drop"),
    "keeper_lock": ((), "string", "drop"),
}
#: Functions of keys.py that name no key: ledger operation keys (fields of a hash), a SCAN
#: pattern, the cluster switch and the names' own machinery.
NOT_KEYS = {
    "use_cluster", "named_for_cluster", "cluster", "shards", "shard", "member_id_for",
    "purchase_op", "refund_op", "adjustment_op", "exchange_op", "goal_op", "ticket_use_op",
    "visit_op", "store_pattern", "cluster_placement", "cluster_migration", "member_ledger",
}  # fmt: skip


@pytest.fixture
def single_names():
    """Key names as a single Redis has them, whatever the run uses; restored after."""
    was = keys.cluster()
    keys.use_cluster(False)
    yield
    keys.use_cluster(was)


def test_every_key_the_bot_names_has_a_place_on_a_cluster(single_names):
    named = {
        name
        for name, value in vars(keys).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__ == keys.__name__
    }
    assert named - NOT_KEYS == set(SAMPLES), "a key function without a sample here"
    for function, (args, kind, how) in SAMPLES.items():
        name = getattr(keys, function)(*args)
        with keys.named_for_cluster():
            place = keys.cluster_placement(name, kind)
            assert place is not None, name
            named_there = getattr(keys, function)
            shard = keys.shard(M)
            if how == "copy":
                assert place == keys.Placement("copy", named_there(*args)), name
            elif how == "first_shard":
                assert place == keys.Placement("copy", named_there(*args, keys.shards()[0])), name
            elif how == "by_member":
                assert place.how == "by_member"
                assert place.per_shard(shard) == named_there(*args, shard), name
            elif how == "every_shard":
                assert place.how == "every_shard"
                assert place.per_shard(shard) == named_there(*args, shard), name
            else:
                assert place.how == "drop", name
    # The ledger's keys are the member's: each goes under the member's cluster name.
    for name in keys.member_ledger(M):
        with keys.named_for_cluster():
            assert keys.cluster_placement(name, "hash").name in keys.member_ledger(M)


def test_names_the_bot_never_writes_have_no_place(single_names):
    with keys.named_for_cluster():
        for name in ("other:app:key", "loyalty:unknown", "loyalty:m:{nothex}", "loyalty:stores:x"):
            assert keys.cluster_placement(name, "string") is None, name
    with pytest.raises(RuntimeError):
        keys.cluster_placement("loyalty:beacons", "hash")  # outside named_for_cluster


@pytest.fixture(scope="module")
def target():
    """An empty Redis Cluster of three primaries and a Redis for its queues."""
    with (
        tempfile.TemporaryDirectory(prefix="lm") as tmp,
        EmbeddedCluster(Path(tmp) / "c", free_ports(3)) as nodes,
    ):
        queues = EmbeddedRedis(Path(tmp) / "q").start()
        try:
            yield nodes, queues
        finally:
            queues.stop()


@pytest.fixture
def empty_target(target):
    """The cluster and its queues' Redis, flushed, and a client of the cluster."""
    nodes, queues = target
    cluster, queue_redis = connect(nodes.url, cluster=True), connect(queues.url)
    cluster.flushall()
    queue_redis.flushall()
    yield nodes, queues, cluster
    cluster.close()
    queue_redis.close()


def _migrate(app, *args: str):
    return app.test_cli_runner().invoke(args=["cluster", "migrate", *args])


@dataclasses.dataclass
class Scene:
    key: str
    members: list


def _a_week_of_trade(services, client, card_code) -> Scene:
    """Sales, a refund, a ticket exchanged and one used, a check-in, a notice, staff."""
    services.clock = lambda: T0
    key = services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    headers = {"Authorization": f"Bearer {key}"}
    members = [services.store.register_member(user_id(), n, "ja", now=T0)[0] for n in "abcd"]
    a, b, c, d = members
    services.store.deactivate(c.line_user_id)
    services.staff.add(d.line_user_id, "S001")

    def sale(member, txn, amount, used=0):
        body = {"transaction_id": txn, "card_code": card_code(member), "amount": amount,
                "points_used": used}  # fmt: skip
        assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201

    sale(a, "T1", 12_800)
    sale(b, "T2", 5_000)
    sale(b, "T3", 1_000, used=10)
    assert relay(services, T0) == 3  # their receipts wait on the queue, the later in outboxes
    assert client.post("/api/v1/transactions/T2/refund", headers=headers).status_code == 201
    ticket = rewards.exchange(services, a.member_id, "coffee", 50, "57a75000").ticket
    redeem = {"transaction_id": "U1", "ticket_code": ticket.code}
    assert client.post("/api/v1/tickets/redeem", json=redeem, headers=headers).status_code == 201
    visits.check_in(services, a.member_id, "S002", "code")
    services.clock = lambda: T0 + 60
    campaigns.send(services, "n1", NOTICE, Segment(store="S001"))
    services.clock = lambda: T0 + 3600
    sale(a, "T4", 2_000)
    return Scene(key, members)


def _what_a_member_has(services, member_id: str):
    return (
        services.ledger.lots(member_id),
        services.ledger.history(member_id),
        services.tickets.tickets(member_id),
        services.visits.total(member_id),
    )


def _what_the_owner_sees(services):
    found = figures(services, 7 * DAY)
    at_s002 = figures(services, 7 * DAY, "S002")
    return found, at_s002, services.store.store_ids(), services.staff.list()


def _cluster_services(nodes, queues, fake_line):
    settings = make_settings(
        nodes.url, fake_line.url, REDIS_CLUSTER="1", QUEUE_REDIS_URL=queues.url
    )
    return create_app({"TESTING": True, "SETTINGS": settings})


def _times_to_live(client, names: list[str]) -> dict[str, int]:
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.pttl(name)
        return dict(zip(names, pipe.execute(), strict=True))


@pytest.mark.single_redis
def test_the_bot_goes_on_on_the_cluster_from_where_it_was(
    app, client, services, card_code, fake_line, redis_client, empty_target
):
    nodes, queues, cluster = empty_target
    scene = _a_week_of_trade(services, client, card_code)
    a_id = scene.members[0].member_id
    [first_lot, *_] = services.ledger.lots(a_id)
    remind = first_lot.expires_at - 30 * DAY
    assert sweep(services, remind).reminders == 1  # its reminder marker and watermark move too
    services.clock = lambda: remind + 30
    ticket = rewards.exchange(services, a_id, "coffee", 50, "57a75001").ticket
    services.clock = lambda: T0 + 3600
    before = {m.member_id: _what_a_member_has(services, m.member_id) for m in scene.members}
    owner_before = _what_the_owner_sees(services)
    waiting = redis_client.zcard(keys.outbox_index())
    queued = services.queue_redis.llen(f"rq:queue:{queue(services).name}")
    assert waiting  # receipts in outboxes,
    assert queued  # and on the queue, not yet pushed
    single_ttls = _times_to_live(redis_client, every_key(redis_client, "loyalty:*"))
    lasting = {name: ttl for name, ttl in single_ttls.items() if ttl > 0}
    assert len(lasting) > 5  # records, bindings, code uses, markers, figures

    dry = _migrate(app, "--to", nodes.url, "--queues-to", queues.url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing copied" in dry.output
    assert cluster.dbsize() == 0

    result = _migrate(app, "--to", nodes.url, "--queues-to", queues.url)
    assert result.exit_code == 0, result.output
    assert "4 members on the cluster" in result.output
    assert " 0 sweep marks" not in result.output
    assert " 0 queue keys" not in result.output
    assert "REDIS_CLUSTER=1" in result.output
    assert f"QUEUE_REDIS_URL={queues.url}" in result.output

    # Every key with a time to live keeps it (less the seconds the copy took).
    with keys.named_for_cluster():
        there = {name: keys.cluster_placement(name, redis_client.type(name)) for name in lasting}
    cluster_ttls = _times_to_live(cluster, [p.name for p in there.values() if p.how == "copy"])
    for name, ttl in lasting.items():
        if there[name].how == "copy":
            assert ttl - 60_000 < cluster_ttls[there[name].name] <= ttl, name

    moved = _cluster_services(nodes, queues, fake_line)
    svc = moved.extensions["loyalty"]
    try:
        svc.clock = lambda: T0 + 3600
        for member_id, had in before.items():
            assert _what_a_member_has(svc, member_id) == had
        assert _what_the_owner_sees(svc) == owner_before
        till = moved.test_client()
        headers = {"Authorization": f"Bearer {scene.key}"}
        a = svc.store.member(a_id)
        balance = svc.ledger.maintain(a_id, svc.clock()).balance
        # The rotating code on the card is looked up through its handle on the cluster.
        body = {"transaction_id": "T5", "card_code": svc.card_codes.current(a, svc.clock()).value,
                "amount": 1_000}  # fmt: skip
        sold = till.post("/api/v1/transactions", json=body, headers=headers)
        assert sold.status_code == 201, sold.get_json()
        assert svc.ledger.maintain(a_id, svc.clock()).balance == balance + 10
        # A sale made before the copy is refunded, and its transaction id stays bound.
        assert till.post("/api/v1/transactions/T4/refund", headers=headers).status_code == 201
        assert svc.ledger.maintain(a_id, svc.clock()).balance == balance + 10 - 20
        b = svc.store.member(scene.members[1].member_id)
        old = {"transaction_id": "T1", "card_code": svc.card_codes.current(b, svc.clock()).value,
               "amount": 12_800}  # fmt: skip
        replayed = till.post("/api/v1/transactions", json=old, headers=headers)
        assert replayed.status_code == 409, replayed.get_json()
        assert replayed.get_json()["title"] == "Transaction id already used"
        svc.clock = lambda: remind + 60
        redeem = {"transaction_id": "U2", "ticket_code": ticket.code}
        used = till.post("/api/v1/tickets/redeem", json=redeem, headers=headers)
        assert used.status_code == 201, used.get_json()
        # The receipts that waited, on the queue or in outboxes, are pushed from the cluster.
        fake_line.reset()
        assert relay(svc, svc.clock()) >= waiting
        with moved.app_context():
            worker = SimpleWorker([event_queue(svc), queue(svc)], connection=svc.queue_redis)
            worker.work(burst=True)
        assert len(fake_line.pushes()) >= waiting + queued
        # The day's reminder is not sent again; the lots expire on the cluster when due.
        assert sweep(svc, remind + 60).reminders == 0
        due = [lot for lot in svc.ledger.lots(a_id) if lot.expires_at <= first_lot.expires_at]
        expired = sweep(svc, first_lot.expires_at + 1)
        assert expired.points_expired >= sum(lot.remaining for lot in due) > 0
    finally:
        svc.line.close()
        keys.use_cluster(False)


@pytest.mark.single_redis
def test_a_cluster_that_is_not_empty_is_refused(app, services, empty_target):
    nodes, _, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    cluster.set("someone:else", "1")
    result = _migrate(app, "--to", nodes.url)
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert cluster.dbsize() == 1


class Killed(Exception):
    """The copy's process dies."""


def _copier(redis_server, nodes, queues=None) -> ClusterCopy:
    source = connect(redis_server.url, decode=False)
    both = None
    if queues is not None:
        both = (connect(redis_server.url, decode=False), connect(queues.url, decode=False))
    return ClusterCopy(source, connect(nodes.url, cluster=True, decode=False), queues=both)


def _stopped_copy(redis_server, nodes, queues=None) -> None:
    """A copy that died after its first batch, as a killed command leaves it."""

    def die(report) -> None:
        raise Killed

    with _copier(redis_server, nodes, queues) as copier:
        copier.check_target(resume=False)
        with pytest.raises(Killed):
            copier.run(on_batch=die)


@pytest.mark.single_redis
def test_a_stopped_copy_is_made_again_from_the_start_with_resume(
    app, services, redis_server, fake_line, empty_target
):
    nodes, queues, cluster = empty_target
    leaked = services.store.add_store("S001", "渋谷店")
    gone, staying = (services.store.register_member(user_id(), n, "ja")[0] for n in "ab")
    _stopped_copy(redis_server, nodes)
    with keys.named_for_cluster():
        assert cluster.exists(keys.member(gone.member_id))  # the first batch was copied
    assert cluster.get(keys.cluster_migration()).startswith("copying:")

    stopped = _migrate(app, "--to", nodes.url)
    assert stopped.exit_code != 0
    assert "--resume" in stopped.output
    with pytest.raises(SettingsError, match="has not finished"):  # the bot will not start on it
        _cluster_services(nodes, queues, fake_line)
    keys.use_cluster(False)

    # Meanwhile, on the single Redis, a leaked API key is rotated and a member is deleted.
    key = services.store.rotate_key("S001")
    assert services.store.delete_member(gone.member_id)
    resumed = _migrate(app, "--to", nodes.url, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "1 member on the cluster" in resumed.output
    assert cluster.get(keys.cluster_migration()) == "done"
    moved = _cluster_services(nodes, queues, fake_line)
    svc = moved.extensions["loyalty"]
    try:
        assert svc.store.store_for_api_key(leaked) is None  # the old key does not come back
        assert svc.store.store_for_api_key(key).store_id == "S001"
        assert svc.store.member(gone.member_id) is None
        assert svc.store.member(staying.member_id) is not None
    finally:
        svc.line.close()
        keys.use_cluster(False)
    again = _migrate(app, "--to", nodes.url, "--resume")  # a finished copy: never again
    assert again.exit_code != 0
    assert "already holds a finished copy" in again.output


@pytest.mark.single_redis
def test_keys_the_bot_never_writes_stop_the_copy_before_it_starts(
    app, services, redis_client, empty_target
):
    nodes, _, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    redis_client.set("loyalty:from-a-newer-version", "1")
    result = _migrate(app, "--to", nodes.url)
    assert result.exit_code != 0
    assert "loyalty:from-a-newer-version" in result.output
    assert cluster.dbsize() == 0


@pytest.mark.single_redis
def test_a_queues_redis_that_is_not_empty_is_refused(app, services, empty_target):
    nodes, queues, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    other = connect(queues.url)
    other.rpush("rq:queue:default", "another application's job")
    result = _migrate(app, "--to", nodes.url, "--queues-to", queues.url)
    assert result.exit_code != 0
    assert "queues' Redis (--queues-to) is not empty" in result.output
    assert other.lrange("rq:queue:default", 0, -1) == ["another application's job"]
    assert cluster.dbsize() == 0
    other.close()


@pytest.mark.single_redis
def test_running_workers_wrong_addresses_and_a_bot_on_a_cluster_are_refused(
    app, services, settings, fake_line, empty_target
):
    nodes, queues, cluster = empty_target
    worker = SimpleWorker([queue(services)], connection=services.queue_redis)
    worker.register_birth()
    try:
        result = _migrate(app, "--to", nodes.url)
    finally:
        worker.register_death()
    assert result.exit_code != 0
    assert "still registered" in result.output
    assert cluster.dbsize() == 0
    for args, message in (
        (["--to", settings.redis_url], "REDIS_URL itself"),
        (["--to", queues.url], "is not a node of a Redis Cluster"),
        (["--to", nodes.url, "--queues-to", settings.redis_url], "of its own"),
        (["--to", nodes.url, "--queues-to", f"{settings.redis_url}?db=1"], "of its own"),
        (
            ["--to", nodes.url, "--queues-to", nodes.url.replace("127.0.0.1", "localhost")],
            "node of a Redis Cluster",
        ),
    ):
        refused = _migrate(app, *args)
        assert refused.exit_code != 0, args
        assert message in refused.output, refused.output
    assert cluster.dbsize() == 0
    on_cluster = _cluster_services(nodes, queues, fake_line)
    try:
        runner = on_cluster.test_cli_runner()
        refused = runner.invoke(args=["cluster", "migrate", "--to", nodes.url])
    finally:
        on_cluster.extensions["loyalty"].line.close()
        keys.use_cluster(False)
    assert refused.exit_code != 0
    assert "REDIS_CLUSTER is already on" in refused.output


@pytest.mark.single_redis
def test_a_write_to_the_single_redis_while_it_is_copied_leaves_the_copy_unfinished(
    services, redis_server, empty_target
):
    nodes, _, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    source = connect(redis_server.url, decode=False)
    store_key = keys.store("S001")  # its name on the single Redis

    def a_bot_still_running(report) -> None:
        source.hset(store_key, "name", "新しい名前")

    with ClusterCopy(source, connect(nodes.url, cluster=True, decode=False)) as copier:
        assert not copier.plan().unknown
        copier.check_target(resume=False)
        with pytest.raises(CopyRefused, match=r"took writes while it was copied \(hset x1\)"):
            copier.run(on_batch=a_bot_still_running)
    assert cluster.get(keys.cluster_migration()).startswith("copying:")


@pytest.mark.single_redis
def test_a_single_redis_with_a_replica_is_copied(fake_line, empty_target, tmp_path):
    """A replica acknowledges its primary every second: a command, but not a write."""
    nodes, _, cluster = empty_target
    with (
        EmbeddedRedis(tmp_path / "primary", port=free_ports(1)[0]) as primary,
        EmbeddedRedis(tmp_path / "replica") as replica,
    ):
        follower = connect(replica.url)
        follower.replicaof("127.0.0.1", primary.port)
        settings = make_settings(primary.url, fake_line.url)
        single = create_app({"TESTING": True, "SETTINGS": settings})
        svc = single.extensions["loyalty"]
        svc.store.add_store("S001", "渋谷店")
        svc.store.register_member(user_id(), "a", "ja")
        source = connect(primary.url, decode=False)
        wait_for(lambda: source.info("replication")["connected_slaves"] == 1, 10, "the replica")

        def acks() -> int:
            return source.info("commandstats")["cmdstat_replconf"]["calls"]

        acked = acks()
        with ClusterCopy(source, connect(nodes.url, cluster=True, decode=False)) as copier:
            copier.check_target(resume=False)
            report = copier.run(on_batch=lambda report: time.sleep(1.5))
        assert report.members == 1
        assert cluster.get(keys.cluster_migration()) == "done"
        assert acks() > acked  # the replica acknowledged while the copy ran
        svc.line.close()
        follower.close()


@pytest.mark.single_redis
def test_resume_flushes_the_queues_redis_of_a_stopped_copy_too(
    app, services, redis_server, empty_target
):
    nodes, queues, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    _stopped_copy(redis_server, nodes, queues)
    queue_redis = connect(queues.url)
    queue_redis.set("rq:job:gone-since", "a job the first attempt copied")
    resumed = _migrate(app, "--to", nodes.url, "--queues-to", queues.url, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert not queue_redis.exists("rq:job:gone-since")
    assert not queue_redis.exists(keys.cluster_migration())
    assert cluster.get(keys.cluster_migration()) == "done"
    queue_redis.close()


@pytest.mark.single_redis
def test_two_copies_at_once_do_not_flush_each_other(services, redis_server, empty_target):
    nodes, _, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    refused = []
    with _copier(redis_server, nodes) as first, _copier(redis_server, nodes) as second:
        first.check_target(resume=False)
        second.check_target(resume=False)  # both saw an empty cluster

        def the_other_starts(report) -> None:
            with pytest.raises(CopyRefused) as found:
                second.run()
            refused.append(str(found.value))

        report = first.run(on_batch=the_other_starts)
    assert refused == ["another copy into the cluster started at the same time"]
    assert report.copied > 0
    assert cluster.get(keys.cluster_migration()) == "done"


@pytest.mark.single_redis
def test_statistics_reset_while_copying_leaves_the_copy_unfinished(
    services, redis_server, empty_target
):
    """CONFIG RESETSTAT (a monitor may send it) would hide writes from the counts."""
    nodes, _, cluster = empty_target
    services.store.add_store("S001", "渋谷店")
    admin = connect(redis_server.url)
    with _copier(redis_server, nodes) as copier:
        copier.check_target(resume=False)
        with pytest.raises(CopyRefused, match="statistics reset"):
            copier.run(on_batch=lambda report: admin.config_resetstat())
    assert cluster.get(keys.cluster_migration()).startswith("copying:")
    admin.close()
