"""Card images at signed URLs; /healthz; failing closed when Redis is gone."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot import create_app
from bot.domain.cards import new_member_number
from tests.conftest import make_settings
from tests.support import events


def test_signed_card_url_serves_a_png(client, services):
    path = services.card_urls.url_for(new_member_number()).removeprefix(
        "https://cards.example.test"
    )
    response = client.get(path)
    assert response.status_code == 200
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_tampered_and_foreign_tokens_are_404(client, services, monkeypatch):
    path = services.card_urls.url_for(new_member_number()).removeprefix(
        "https://cards.example.test"
    )
    tampered = path[:-10] + ("A" if path[-10] != "A" else "B") + path[-9:]
    forged = URLSafeTimedSerializer("another-secret-key" * 3, salt="card-image").dumps(
        "2900000000008"
    )
    rendered = []
    monkeypatch.setattr("bot.web.media.render_card_png", lambda *a: rendered.append(a) or b"")
    for bad in (tampered, f"/media/card/{forged}.png", "/media/card/x.png", "/media/card/.png"):
        assert client.get(bad).status_code == 404, bad
    assert rendered == []  # refused before rendering anything


def test_expired_card_url_is_404(client, services, monkeypatch):
    path = services.card_urls.url_for(new_member_number()).removeprefix(
        "https://cards.example.test"
    )
    monkeypatch.setattr("bot.services.CARD_URL_TTL", -1)
    monkeypatch.setattr(
        services.card_urls, "number_from", lambda t, f=services.card_urls.number_from: f(t, -1)
    )
    assert client.get(path).status_code == 404


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"] == "ok"


@pytest.fixture
def app_without_redis(tmp_path, fake_line):
    settings = make_settings(f"unix://{tmp_path}/nothing-here.sock", fake_line.url)
    return create_app({"TESTING": True, "SETTINGS": settings})


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
