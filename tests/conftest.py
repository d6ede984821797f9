"""Fixtures: a real Redis started by the suite, a fake LINE platform, the app and its worker."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot import create_app
from bot.config import Settings
from bot.jobs.outbox import relay
from bot.jobs.queue import event_queue, queue
from bot.services import Services
from bot.store import keys
from bot.store.clients import connect
from sandbox.embedded_redis import EmbeddedCluster, EmbeddedRedis, free_ports
from sandbox.fake_line import FakeLine
from tests.support import events
from tests.support.moments import T0
from tests.support.openapi import MessagingApiValidator, messaging_spec_path, validate_recorded

CHANNEL_SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"
PUBLIC_BASE_URL = "https://cards.example.test"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    """One real redis-server for the whole run, on a Unix socket in a short temp dir."""
    with tempfile.TemporaryDirectory(prefix="lr") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            yield server
        finally:
            server.stop()


#: ``LOYALTY_TEST_CLUSTER=1``: the app's member data is on a Redis Cluster of three primaries
#: the suite starts (REDIS_CLUSTER=1), the queues on ``redis_server`` (QUEUE_REDIS_URL).
ON_CLUSTER = os.environ.get("LOYALTY_TEST_CLUSTER") == "1"


def pytest_collection_modifyitems(config, items) -> None:
    """On a cluster run, skip the tests of what only one Redis does, saying so."""
    if not ON_CLUSTER:
        return
    skip = pytest.mark.skip(reason="single_redis: a behaviour of one Redis, not of a cluster")
    for item in items:
        if "single_redis" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[EmbeddedCluster | None]:
    """The suite's Redis Cluster when ON_CLUSTER, else None."""
    if not ON_CLUSTER:
        yield None
        return
    with (
        tempfile.TemporaryDirectory(prefix="lc") as tmp,
        EmbeddedCluster(Path(tmp), free_ports(3)) as cluster,
    ):
        yield cluster


def data_env(redis_server: EmbeddedRedis, cluster: EmbeddedCluster | None) -> dict[str, str]:
    """Where the app keeps its data: the suite's Redis, or its cluster with the queues apart."""
    if cluster is None:
        return {"REDIS_URL": redis_server.url}
    return {"REDIS_URL": cluster.url, "REDIS_CLUSTER": "1", "QUEUE_REDIS_URL": redis_server.url}


@pytest.fixture
def redis_client(
    redis_server: EmbeddedRedis, redis_cluster: EmbeddedCluster | None
) -> Iterator[redis.Redis]:
    """A client of the app's data Redis (the cluster, if the suite runs on one), flushed with
    the queues' before and after each test."""
    queues = redis.Redis.from_url(redis_server.url)
    client = connect(data_env(redis_server, redis_cluster)["REDIS_URL"],
                     cluster=redis_cluster is not None)  # fmt: skip
    client.flushall()
    queues.flushall()
    yield client
    client.flushall()
    queues.flushall()
    client.close()
    queues.close()
    keys.use_cluster(False)


@pytest.fixture
def connect_data(
    redis_server: EmbeddedRedis, redis_cluster: EmbeddedCluster | None, redis_client
) -> Callable[[], redis.Redis]:
    """Make clients of the app's data Redis (the cluster, if the suite runs on one), with key
    names for it, as the app does (``redis_client`` flushes it)."""
    keys.use_cluster(redis_cluster is not None)
    url = data_env(redis_server, redis_cluster)["REDIS_URL"]
    return lambda: connect(url, cluster=redis_cluster is not None)


@pytest.fixture(scope="session")
def _fake_line_server() -> Iterator[FakeLine]:
    with FakeLine(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_line(_fake_line_server: FakeLine) -> Iterator[FakeLine]:
    """The fake LINE platform, reset per test; every request it got must match LINE's spec."""
    _fake_line_server.reset()
    yield _fake_line_server
    if messaging_spec_path() is not None:
        validate_recorded(_fake_line_server.recorded())


#: Where archived history goes when a test does not say (the settings fixture gives each test
#: its own folder).
_ARCHIVE = tempfile.mkdtemp(prefix="history-archive-")


def env_for_doubles(redis_url: str, line_url: str, **overrides: str) -> dict[str, str]:
    """A production-shaped environment pointed at the test doubles."""
    return {
        "HISTORY_ARCHIVE_DIR": _ARCHIVE,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": line_url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SECRET_KEY": "k" * 48,
        **overrides,
    }


def make_settings(redis_url: str, line_url: str, **overrides: str) -> Settings:
    """Settings as production would read them, pointed at the test doubles."""
    return Settings.from_env(env_for_doubles(redis_url, line_url, **overrides))


@pytest.fixture
def program_text() -> str | None:
    """The program file a folder's tests run on (a conftest overrides it); None: the bundled
    example."""
    return None


@pytest.fixture
def program_file(tmp_path: Path, program_text: str | None) -> Path | None:
    """``program_text`` written to a file, or None for the bundled example."""
    if program_text is None:
        return None
    path = tmp_path / "program.toml"
    path.write_text(program_text, encoding="utf-8")
    return path


@pytest.fixture
def settings(
    redis_server: EmbeddedRedis,
    redis_cluster: EmbeddedCluster | None,
    fake_line: FakeLine,
    redis_client,
    program_file: Path | None,
    tmp_path: Path,
) -> Settings:
    """Production-shaped settings against the suite's Redis (or cluster) and the fake LINE."""
    program = {"LOYALTY_PROGRAM": str(program_file)} if program_file else {}
    archive = str(tmp_path / "history-archive")
    data = data_env(redis_server, redis_cluster)
    url = data.pop("REDIS_URL")
    keys.use_cluster(redis_cluster is not None)  # as Services.build will
    return make_settings(url, fake_line.url, HISTORY_ARCHIVE_DIR=archive, **data, **program)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app, as gunicorn would serve it."""
    application = create_app({"TESTING": True, "SETTINGS": settings})
    yield application
    application.extensions["loyalty"].line.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> Services:
    """The app's services."""
    return app.extensions["loyalty"]


@pytest.fixture
def run_jobs(app: Flask):
    """Run every queued job to completion in this process, as the worker would."""

    def run(max_rounds: int = 20) -> int:
        """Work the queue; retries scheduled for later run now, as if their time had come."""
        with app.app_context():
            svc: Services = app.extensions["loyalty"]
            jobs_queue = queue(svc)
            scheduled = ScheduledJobRegistry(queue=jobs_queue)
            both = [event_queue(svc), jobs_queue]
            for _ in range(max_rounds):
                SimpleWorker(both, connection=svc.queue_redis).work(burst=True)
                # As the pushes worker's relay thread does: receipts the jobs (a staff grant)
                # or requests wrote to outboxes go on the queue.
                relayed = relay(svc, svc.clock())
                due = scheduled.get_job_ids()
                if not due and not relayed:
                    break
                for job_id in due:
                    scheduled.remove(job_id)
                    jobs_queue.enqueue_job(Job.fetch(job_id, connection=svc.queue_redis))
            return jobs_queue.count

    return run


@pytest.fixture
def post_webhook(client: FlaskClient):
    """POST signed events to /callback; returns the response."""

    def post(*evts: dict, secret: str = CHANNEL_SECRET):
        raw = events.body(*evts)
        return client.post(
            "/callback",
            data=raw,
            headers={"X-Line-Signature": events.sign(raw, secret)},
            content_type="application/json",
        )

    return post


@pytest.fixture
def member(post_webhook, run_jobs, fake_line, services):
    """A shopper who followed the account (the welcome already replied to, LINE's record reset)."""
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    post_webhook(events.follow(user))
    run_jobs()
    fake_line.reset()
    return services.store.member_for_user(user)


@pytest.fixture
def store_key(services: Services) -> str:
    """A registered store S001 and its API key."""
    return services.store.add_store("S001", "Shibuya")


@pytest.fixture
def card_code(services: Services):
    """The code a member's card shows now (rotating or static, as the program says)."""

    def current(member) -> str:
        return services.card_codes.current(member, services.clock()).value

    return current


@pytest.fixture(scope="session")
def spec_validator() -> MessagingApiValidator:
    """LINE's messaging API spec validator, or a skip with the reason."""
    from tests.support.openapi import require_validator

    return require_validator()


@pytest.fixture
def say(post_webhook, run_jobs, fake_line):
    """Send one event as a user and return the messages of the bot's reply ([] for none)."""

    def send(event) -> list[dict]:
        before = len(fake_line.replies())
        assert post_webhook(event).status_code == 200
        run_jobs()
        replies = fake_line.replies()[before:]
        assert len(replies) <= 1
        return replies[0]["messages"] if replies else []

    return send


@pytest.fixture
def clock(services: Services):
    """Set the services' clock: ``clock(t)``; at T0 (tests/support/moments.py) to start."""

    def set_to(moment: int) -> int:
        services.clock = lambda: moment
        return moment

    set_to(T0)
    return set_to
