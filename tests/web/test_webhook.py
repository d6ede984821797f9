"""POST /callback: signatures, dedupe, replay protection, and the replies the worker sends."""

from __future__ import annotations

import time

import pytest
from rq.registry import FailedJobRegistry

from bot.jobs.queue import event_queue
from bot.store import keys
from tests.support import events


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
    [b"not json", b"[]", b'{"destination": "U0"}', b'{"events": {}}', b"\xff\xfe"],
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


def test_event_older_than_dedupe_window_is_ignored(post_webhook, services, redis_client):
    event = events.follow(events.user_id())
    event["timestamp"] = int((time.time() - 3 * 24 * 3600) * 1000)
    assert post_webhook(event).status_code == 200
    assert _queued(services) == 0
    assert redis_client.get(keys.webhook_event(event["webhookEventId"])) is None


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
        {**events.follow(events.user_id()), "follow": {}},  # missing required isUnblocked
        {**events.follow(events.user_id()), "type": "things"},  # retired event type
        {**events.text(events.user_id(), "hi"), "mode": "standby"},
        {
            **events.postback(events.user_id(), "action=card"),
            "source": {"type": "group", "groupId": "C" + "1" * 32},
        },
    ],
    ids=["malformed-follow", "unknown-type", "standby", "group"],
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


def test_line_5xx_on_reply_is_retried(post_webhook, run_jobs, fake_line):
    fake_line.fail_next("/v2/bot/message/reply", 500)
    post_webhook(events.follow(events.user_id()))
    run_jobs()
    assert len(fake_line.replies()) == 1


def test_a_stalled_redis_gets_a_fast_503_and_the_redelivery_is_processed(fake_line, tmp_path):
    import tempfile
    import threading
    from pathlib import Path

    import redis as redis_py

    from bot import create_app
    from sandbox.embedded_redis import EmbeddedRedis
    from tests.conftest import CHANNEL_SECRET, make_settings

    with tempfile.TemporaryDirectory(prefix="lrs") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            app = create_app(
                {"TESTING": True, "SETTINGS": make_settings(server.url, fake_line.url)}
            )
            client = app.test_client()
            event = events.follow(events.user_id())
            raw = events.body(event)
            headers = {"X-Line-Signature": events.sign(raw, CHANNEL_SECRET)}
            admin = redis_py.Redis.from_url(server.url)
            stall = threading.Thread(target=admin.execute_command, args=("DEBUG", "SLEEP", "2.5"))
            stall.start()
            time.sleep(0.2)  # the server is now frozen
            started = time.monotonic()
            response = client.post("/callback", data=raw, headers=headers)
            elapsed = time.monotonic() - started
            stall.join()
            assert response.status_code == 503
            assert elapsed < 2.0  # LINE's limit for the whole answer
            # Once Redis answers again, LINE's redelivery is queued, not taken for a duplicate.
            raw = events.body(events.redelivered(event))
            headers = {"X-Line-Signature": events.sign(raw, CHANNEL_SECRET)}
            assert client.post("/callback", data=raw, headers=headers).status_code == 200
            with app.app_context():
                assert event_queue(app.extensions["loyalty"]).count == 1
            admin.close()
            app.extensions["loyalty"].line.close()
        finally:
            server.stop()
