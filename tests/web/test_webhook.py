"""POST /callback: signatures, dedupe, replay protection, and the replies the worker sends."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from rq import SimpleWorker
from rq.registry import FailedJobRegistry

from bot.jobs.queue import EVENTS_PER_JOB, event_queue
from bot.jobs.tasks import handle_events
from bot.store import keys
from bot.store.events import DEDUPE_TTL
from tests.support import events
from tests.support.redis_monitor import commands_during, round_trips


def _queued(services) -> int:
    return event_queue(services).count


def test_missing_signature_is_refused_and_nothing_queued(client, services):
    raw = events.body(events.follow(events.user_id()))
    response = client.post("/callback", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert _queued(services) == 0


def test_bad_signature_is_refused_and_nothing_queued(post_webhook, services):
    response = post_webhook(events.follow(events.user_id()), secret="not-the-channel-secret")
    assert response.status_code == 400
    assert _queued(services) == 0


def test_reserialised_body_fails_signature(client, services):
    # Signing must be over the exact bytes: the same JSON with other spacing is refused.
    event = events.follow(events.user_id())
    raw = events.body(event)
    signature = events.sign(raw, "test-channel-secret")
    response = client.post(
        "/callback",
        data=raw.replace(b", ", b","),
        headers={"X-Line-Signature": signature},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert _queued(services) == 0


def test_empty_events_verification_request_answers_200(post_webhook, services):
    assert post_webhook().status_code == 200
    assert _queued(services) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"destination": "U0"}',
        b'{"events": {}}',
        b"\xff\xfe",
        b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["text", "list", "no-events", "events-object", "bytes", "deeply-nested"],
)
def test_signed_but_malformed_bodies_get_400(client, services, raw):
    response = client.post(
        "/callback",
        data=raw,
        headers={"X-Line-Signature": events.sign(raw, "test-channel-secret")},
    )
    assert response.status_code == 400
    assert _queued(services) == 0


def test_redelivered_event_replies_once(post_webhook, run_jobs, fake_line):
    event = events.follow(events.user_id())
    assert post_webhook(event).status_code == 200
    assert post_webhook(events.redelivered(event)).status_code == 200
    assert post_webhook(event).status_code == 200
    run_jobs()
    assert len(fake_line.replies()) == 1


def _replied_tokens(fake_line) -> Counter:
    return Counter(reply["replyToken"] for reply in fake_line.replies())


@pytest.mark.parametrize("count", [1, 1000])
def test_a_body_is_queued_in_one_round_trip_however_many_events(
    post_webhook, services, redis_server, count
):
    post_webhook(events.follow(events.user_id()))  # the webhook's connection is set up
    body = [events.text(events.user_id(), "card") for _ in range(count)]
    with commands_during(redis_server.url) as commands:
        assert post_webhook(*body).status_code == 200
    assert round_trips(commands) == 1
    assert (commands[0], commands[-1]) == ("MULTI", "EXEC")
    assert _queued(services) == 1 + -(-count // EVENTS_PER_JOB)


def test_events_repeated_across_bodies_are_handled_once(post_webhook, run_jobs, fake_line):
    first = [events.follow(events.user_id()) for _ in range(2 * EVENTS_PER_JOB + 5)]
    again = [events.redelivered(e) for e in first[-EVENTS_PER_JOB:]]
    new = [events.follow(events.user_id()) for _ in range(3)]
    assert post_webhook(*first).status_code == 200
    assert post_webhook(*again, *new).status_code == 200
    run_jobs()
    assert _replied_tokens(fake_line) == Counter(e["replyToken"] for e in first + new)


def test_a_retried_job_handles_again_only_the_events_it_did_not_finish(
    post_webhook, run_jobs, fake_line
):
    body = [events.follow(events.user_id()) for _ in range(3)]
    fake_line.fail_next("/v2/bot/message/reply", 500)  # one event fails, the others do not
    assert post_webhook(*body).status_code == 200
    run_jobs()
    assert _replied_tokens(fake_line) == Counter(e["replyToken"] for e in body)
    assert len(fake_line.recorded("/v2/bot/message/reply")) == len(body) + 1


def test_the_worker_drops_events_older_than_the_dedupe_window(app, fake_line, redis_client):
    old = events.follow(events.user_id())
    old["timestamp"] = int((time.time() - DEDUPE_TTL - 60) * 1000)
    with app.app_context():
        handle_events(json.dumps([old]))
    assert fake_line.replies() == []
    assert redis_client.get(keys.webhook_event(old["webhookEventId"])) is None


def test_jobs_queued_one_event_each_before_batching_still_reply(app, services, run_jobs, fake_line):
    event = events.follow(events.user_id())
    event_queue(services).enqueue("bot.jobs.tasks.handle_event", json.dumps(event))
    run_jobs()
    assert _replied_tokens(fake_line) == Counter([event["replyToken"]])


def test_event_older_than_dedupe_window_is_ignored(post_webhook, services, redis_client):
    event = events.follow(events.user_id())
    event["timestamp"] = int((time.time() - 3 * 24 * 3600) * 1000)
    assert post_webhook(event).status_code == 200
    assert _queued(services) == 0
    assert redis_client.get(keys.webhook_event(event["webhookEventId"])) is None


def _ahead(event: dict, seconds: int) -> dict:
    return {**event, "timestamp": event["timestamp"] + seconds * 1000}


def _without(event: dict, *path: str) -> dict:
    copy = json.loads(json.dumps(event))
    target = copy
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return copy


@pytest.mark.parametrize(
    "broken",
    [
        _ahead(events.follow(events.user_id()), 3600),
        _ahead(events.follow(events.user_id()), 10 * 365 * 86400),
        _without(events.follow(events.user_id()), "type"),
        _without(events.follow(events.user_id()), "source", "userId"),
    ],
    ids=["an-hour-ahead", "ten-years-ahead", "no-type", "follow-without-user-id"],
)
def test_events_no_one_could_have_sent_are_ignored_and_the_rest_run(
    post_webhook, run_jobs, fake_line, services, broken
):
    good = events.follow(events.user_id())
    assert post_webhook(broken, good).status_code == 200
    run_jobs()
    assert len(fake_line.replies()) == 1
    assert len(event_queue(services).failed_job_registry) == 0


def test_events_without_id_are_skipped_but_others_in_the_body_run(
    post_webhook, run_jobs, fake_line
):
    broken = events.follow(events.user_id())
    del broken["webhookEventId"]
    good = events.follow(events.user_id())
    assert post_webhook(broken, "not an event", good).status_code == 200
    run_jobs()
    assert len(fake_line.replies()) == 1


@pytest.mark.parametrize(
    "event",
    [
        {**events.follow(events.user_id()), "type": "things"},  # retired event type
        {**events.text(events.user_id(), "hi"), "mode": "standby"},
        {
            **events.postback(events.user_id(), "action=card"),
            "source": {"type": "group", "groupId": "C" + "1" * 32},
        },
    ],
    ids=["unknown-type", "standby", "group"],
)
def test_events_the_bot_does_not_serve_are_dropped_quietly(
    post_webhook, run_jobs, fake_line, event, app
):
    assert post_webhook(event).status_code == 200
    run_jobs()
    assert fake_line.replies() == []
    with app.app_context():
        assert FailedJobRegistry(queue=event_queue(app.extensions["loyalty"])).count == 0


def test_used_reply_token_is_not_retried_forever(post_webhook, run_jobs, fake_line, app):
    # The worker treats LINE's 400 "Invalid reply token" as final, not as a job failure.
    event = events.follow(events.user_id())
    fake_line.fail_next("/v2/bot/message/reply", 400, body={"message": "Invalid reply token"})
    post_webhook(event)
    run_jobs()
    assert fake_line.replies() == []
    assert len(fake_line.recorded("/v2/bot/message/reply")) == 1


def test_a_refused_welcome_reply_is_pushed_instead_once(post_webhook, run_jobs, fake_line):
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    event = events.follow(user)
    fake_line.fail_next("/v2/bot/message/reply", 400, body={"message": "Invalid reply token"})
    post_webhook(event)
    run_jobs()
    [push] = fake_line.recorded("/v2/bot/message/push")
    assert push.json["to"] == user
    assert [m["type"] for m in push.json["messages"]] == ["text", "flex"]
    assert "Hanako" in push.json["messages"][0]["text"]
    post_webhook(events.redelivered(event))  # LINE redelivers: handled once, pushed once
    run_jobs()
    assert len(fake_line.recorded("/v2/bot/message/push")) == 1


def test_a_refused_reply_to_a_tap_is_not_pushed(post_webhook, run_jobs, fake_line, services):
    user = events.user_id()
    post_webhook(events.follow(user))
    run_jobs()
    fake_line.reset()
    fake_line.fail_next("/v2/bot/message/reply", 400, body={"message": "Invalid reply token"})
    post_webhook(events.postback(user, "action=card"))
    run_jobs()
    assert fake_line.recorded("/v2/bot/message/push") == []


@pytest.mark.parametrize(
    ("make", "strip"),
    [
        (lambda u: events.follow(u), ("mode", "deliveryContext", "follow")),
        (lambda u: {**events.follow(u), "follow": {}}, ()),
        (lambda u: events.text(u, "hello"), ("mode", "deliveryContext", "message.quoteToken")),
        (lambda u: events.postback(u, "action=help"), ("mode", "deliveryContext")),
    ],
    ids=["follow", "follow-without-isUnblocked", "text", "postback"],
)
def test_older_events_without_fields_the_sdk_requires_are_served(
    post_webhook, run_jobs, fake_line, make, strip
):
    user = events.user_id()
    event = make(user)
    for name in strip:
        target, _, field = name.rpartition(".")
        (event[target] if target else event).pop(field, None)
    assert post_webhook(event).status_code == 200
    run_jobs()
    assert len(fake_line.replies()) == 1


def test_line_5xx_on_reply_is_retried(post_webhook, run_jobs, fake_line):
    fake_line.fail_next("/v2/bot/message/reply", 500)
    post_webhook(events.follow(events.user_id()))
    run_jobs()
    assert len(fake_line.replies()) == 1


def test_a_stalled_redis_gets_a_fast_503_and_the_redelivery_is_processed_once(fake_line):
    import tempfile
    import threading
    from pathlib import Path

    import redis as redis_py

    from bot import create_app
    from sandbox.embedded_redis import EmbeddedRedis
    from tests.conftest import CHANNEL_SECRET, make_settings

    def post(client, event):
        raw = events.body(event)
        return client.post(
            "/callback", data=raw, headers={"X-Line-Signature": events.sign(raw, CHANNEL_SECRET)}
        )

    with tempfile.TemporaryDirectory(prefix="lrs") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            app = create_app(
                {"TESTING": True, "SETTINGS": make_settings(server.url, fake_line.url)}
            )
            client = app.test_client()
            # A connection already open: the stalled transaction is sent, and Redis applies it
            # once it wakes, after the webhook has given up and answered 503.
            assert post(client, events.follow(events.user_id())).status_code == 200
            event = events.follow(events.user_id())
            admin = redis_py.Redis.from_url(server.url)
            stall = threading.Thread(target=admin.execute_command, args=("DEBUG", "SLEEP", "2.5"))
            stall.start()
            time.sleep(0.2)  # the server is now frozen
            started = time.monotonic()
            response = post(client, event)
            elapsed = time.monotonic() - started
            stall.join()
            assert response.status_code == 503
            assert elapsed < 2.0  # LINE's limit for the whole answer
            # Once Redis answers again, LINE's redelivery is queued, and the event has effect
            # once however many copies of it reached the queue.
            assert post(client, events.redelivered(event)).status_code == 200
            with app.app_context():
                svc = app.extensions["loyalty"]
                SimpleWorker([event_queue(svc)], connection=svc.queue_redis).work(burst=True)
            assert _replied_tokens(fake_line)[event["replyToken"]] == 1
            admin.close()
            app.extensions["loyalty"].line.close()
        finally:
            server.stop()
