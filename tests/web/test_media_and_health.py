"""Card images at signed URLs; /healthz; failing closed when Redis is gone."""

from __future__ import annotations

import io

import pytest
from itsdangerous import URLSafeSerializer
from PIL import Image

from bot import create_app
from bot.domain.cards import new_member_number
from bot.handlers.card import IMAGE_GRACE
from bot.imaging.card_image import CardFace
from tests.conftest import PUBLIC_BASE_URL, make_settings
from tests.support import events
from tests.support.redis_monitor import commands_during

NOW = 1_795_000_000


def _path(url: str) -> str:
    return url.removeprefix(PUBLIC_BASE_URL)


def _static_face() -> CardFace:
    number = new_member_number()
    return CardFace("static", number, number, "gold", "en")


def _rotating_face(valid_until: int = NOW + 300) -> CardFace:
    return CardFace("rotating", "1234567890123456", new_member_number(), "gold", "ja", valid_until)


def test_signed_rotating_card_url_serves_a_private_png_until_the_code_expires(client, services):
    services.clock = lambda: NOW
    face = _rotating_face()
    response = client.get(_path(services.card_urls.url_for(face.fields(), NOW + 360)))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    picture = Image.open(io.BytesIO(response.data))
    assert max(picture.size) <= 1024


def test_static_card_url_may_be_cached_for_an_hour_at_most(client, services):
    services.clock = lambda: NOW
    url = services.card_urls.url_for(_static_face().fields(), NOW + 7 * 86400)
    response = client.get(_path(url))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600, immutable"
    url = services.card_urls.url_for(_static_face().fields(), NOW + 90)
    assert client.get(_path(url)).headers["Cache-Control"] == "public, max-age=90, immutable"


def test_tampered_and_foreign_tokens_are_404_before_reading_or_rendering(
    client, services, rendered, redis_server
):
    services.clock = lambda: NOW
    path = _path(services.card_urls.url_for(_static_face().fields(), NOW + 3600))
    tampered = path[:-10] + ("A" if path[-10] != "A" else "B") + path[-9:]
    foreign = URLSafeSerializer("another-secret-key" * 3, salt="card-image-v2").dumps(
        [NOW + 3600, *_static_face().fields()]
    )
    old_style = URLSafeSerializer("k" * 48, salt="card-image").dumps("2900000000008")
    with commands_during(redis_server.url) as commands:
        for bad in (tampered, f"/media/card/{foreign}.png", f"/media/card/{old_style}.png",
                    "/media/card/x.png", "/media/card/.png"):  # fmt: skip
            assert client.get(bad).status_code == 404, bad
    assert rendered == []
    assert commands == []


def test_expired_url_is_404_before_rendering(client, services, rendered):
    services.clock = lambda: NOW
    path = _path(services.card_urls.url_for(_rotating_face().fields(), NOW + 360))
    services.clock = lambda: NOW + 359
    assert client.get(path).status_code == 200
    services.clock = lambda: NOW + 360
    assert client.get(path).status_code == 404
    assert len(rendered) == 1


@pytest.mark.parametrize(
    "fields",
    [
        ["static", "2900000000008", "2911111111116", "gold", "ja", 0],  # code is not the number
        ["rotating", "12345", "2900000000008", "gold", "ja", NOW + 300],  # not a rotating code
        ["static", "2900000000008", "2900000000008", "gold", "xx", 0],  # unknown language
        ["static"],
        [],
    ],
)
def test_signed_but_unshowable_faces_are_404(client, services, rendered, fields):
    services.clock = lambda: NOW
    assert client.get(_path(services.card_urls.url_for(fields, NOW + 60))).status_code == 404
    assert rendered == []


def test_card_message_image_expires_shortly_after_its_code(client, services, welcome_card):
    url, expiry, face = welcome_card(NOW)
    assert face is not None
    assert face.mode == "rotating"
    assert expiry == face.valid_until + IMAGE_GRACE
    services.clock = lambda: expiry
    assert client.get(_path(url)).status_code == 404


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"] == "ok"
    assert response.json["queues"]["pushes"] == {
        "waiting": 0, "oldest_wait_seconds": None, "scheduled": 0, "workers": 0
    }  # fmt: skip


def test_healthz_is_503_while_jobs_wait_and_no_worker_takes_them(client, services):
    from datetime import UTC, datetime, timedelta

    from rq import SimpleWorker

    from bot.jobs.queue import queue
    from bot.web.health import STALLED_AFTER

    job = queue(services).enqueue("bot.jobs.push.deliver", "receipt", "m", {}, "k")
    assert client.get("/healthz").status_code == 200  # just queued: a worker may be coming
    job.enqueued_at = datetime.now(UTC) - timedelta(seconds=STALLED_AFTER + 5)
    job.save()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["stalled"] == ["pushes"]
    assert response.json["queues"]["pushes"]["waiting"] == 1
    assert response.json["queues"]["pushes"]["oldest_wait_seconds"] >= STALLED_AFTER
    worker = SimpleWorker([queue(services)], connection=services.queue_redis)
    worker.register_birth()  # a worker is there: it is behind, not stalled
    try:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json["queues"]["pushes"]["workers"] == 1
    finally:
        worker.register_death()


@pytest.fixture
def app_without_redis(tmp_path, fake_line):
    settings = make_settings(f"unix://{tmp_path}/nothing-here.sock", fake_line.url)
    return create_app({"TESTING": True, "SETTINGS": settings})


def test_without_redis_card_images_are_still_drawn(app_without_redis):
    svc = app_without_redis.extensions["loyalty"]
    url = svc.card_urls.url_for(_static_face().fields(), svc.clock() + 3600)
    response = app_without_redis.test_client().get(_path(url))
    assert response.status_code == 200
    assert response.mimetype == "image/png"


def test_without_redis_health_webhook_and_pos_fail_closed(app_without_redis):
    client = app_without_redis.test_client()
    assert client.get("/healthz").status_code == 503
    raw = events.body(events.follow(events.user_id()))
    response = client.post(
        "/callback", data=raw, headers={"X-Line-Signature": events.sign(raw, "test-channel-secret")}
    )
    assert response.status_code == 503
    response = client.post(
        "/api/v1/transactions",
        json={"transaction_id": "T", "card_code": "2900000000008", "amount": 1},
        headers={"Authorization": "Bearer sk_x"},
    )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_healthz_does_not_count_a_worker_that_died_without_a_word(client, services):
    from datetime import UTC, datetime, timedelta

    from rq import SimpleWorker

    from bot.jobs.queue import queue
    from bot.web.health import STALLED_AFTER

    job = queue(services).enqueue("bot.jobs.push.deliver", "receipt", "m", {}, "k")
    job.enqueued_at = datetime.now(UTC) - timedelta(seconds=STALLED_AFTER + 5)
    job.save()
    worker = SimpleWorker([queue(services)], connection=services.queue_redis)
    worker.register_birth()
    # SIGKILLed: no register_death; its registration lapses (WORKER_TTL) and nobody cleans up.
    services.queue_redis.delete(worker.key)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["queues"]["pushes"]["workers"] == 0
