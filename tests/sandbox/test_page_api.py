"""The page's endpoints without a browser: served only in sandbox mode, events signed into the
real webhook and queue, and bad input answered with what is wrong (never a 500)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from bot import create_app
from bot.config import Settings
from bot.jobs.queue import event_queue
from sandbox import page
from sandbox.fake_line import FakeLine
from tests.conftest import env_for_doubles

ROOT = Path(__file__).resolve().parents[2]
USER = "U" + "5" * 32


def _sandbox_env(redis_url: str, line_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "LINE_API_BASE_URL": line_url, "SECRET_KEY": "s" * 48}


@pytest.fixture
def standin() -> Iterator[FakeLine]:
    with FakeLine() as fake:
        yield fake


@pytest.fixture
def sandbox_app(redis_server, redis_client, standin) -> Iterator[Flask]:
    settings = Settings.from_env(_sandbox_env(redis_server.url, standin.url))
    assert settings.sandbox
    app = create_app({"TESTING": True, "SETTINGS": settings})
    page.init_app(app)
    yield app
    app.extensions["loyalty"].line.close()


@pytest.fixture
def client(sandbox_app):
    return sandbox_app.test_client()


def _wsgi_answers(env: dict[str, str]) -> str:
    """What wsgi.app (as gunicorn loads it) answers for the page and its script."""
    probe = (
        "import wsgi; c = wsgi.app.test_client(); "
        "print(c.get('/_sandbox/').status_code, c.get('/_sandbox/static/page.js').status_code)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "PUBLIC_BASE"))}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-2] + " " + done.stdout.split()[-1]


def test_the_page_is_served_in_sandbox_mode_only(redis_server, standin):
    assert _wsgi_answers(_sandbox_env(redis_server.url, standin.url)) == "200 200"
    live = env_for_doubles(redis_server.url, standin.url)
    assert _wsgi_answers(live) == "404 404"


def test_init_app_refuses_an_app_with_credentials(app):
    page.init_app(app)
    assert app.test_client().get("/_sandbox/").status_code == 404


def test_the_page_and_its_assets_are_plain_files(client):
    with client.get("/_sandbox/") as answer:
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
    assert 'src="static/flex.js"' in html
    assert "http" not in html.split("<body>")[0]  # nothing from elsewhere
    for asset in ("flex.js", "page.js", "page.css"):
        with client.get(f"/_sandbox/static/{asset}") as answer:
            assert answer.status_code == 200
    with client.get("/_sandbox/font.otf") as font:
        assert font.status_code == 200
        assert font.data[:4] == b"OTTO"


def test_an_event_is_signed_into_the_webhook_and_queued(client, sandbox_app, standin):
    assert (
        client.post(
            "/_sandbox/api/personas", json={"userId": USER, "displayName": "Emma", "language": "en"}
        ).status_code
        == 200
    )
    answer = client.post("/_sandbox/api/events", json={"userId": USER, "type": "follow"})
    assert answer.status_code == 200
    assert answer.json == {"webhookStatus": 200}
    svc = sandbox_app.extensions["loyalty"]
    with sandbox_app.app_context():
        assert event_queue(svc).count == 1
    # The reply token came from the stand-in, so the reply will land in this user's inbox.
    tokens = [r for r in standin.recorded("/_sandbox/reply-tokens")]
    assert len(tokens) == 1
    assert tokens[0].json == {"userId": USER}


def test_a_photo_becomes_content_at_the_standin_and_an_image_event(client, sandbox_app, standin):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    answer = client.post(
        "/_sandbox/api/photos",
        data={"userId": USER, "photo": (io.BytesIO(png), "card.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.json
    stored = standin.recorded("/_sandbox/contents")
    assert [r.body for r in stored] == [png]
    with sandbox_app.app_context():
        assert event_queue(sandbox_app.extensions["loyalty"]).count == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_sandbox/api/events", {"type": "follow"}, "userId"),
        ("/_sandbox/api/events", {"userId": "U1", "type": "follow"}, "userId"),
        ("/_sandbox/api/events", {"userId": USER, "type": "dance"}, "type"),
        ("/_sandbox/api/events", {"userId": USER, "type": "text", "text": " "}, "text"),
        ("/_sandbox/api/events", {"userId": USER, "type": "text", "text": "a" * 5001}, "text"),
        ("/_sandbox/api/events", {"userId": USER, "type": "postback", "data": "a" * 301}, "data"),
        (
            "/_sandbox/api/events",
            {"userId": USER, "type": "postback", "data": "x", "params": {"evil": "1"}},
            "params",
        ),
        ("/_sandbox/api/personas", {"displayName": ""}, "displayName"),
        ("/_sandbox/api/personas", {"displayName": "A", "language": "../x"}, "language"),
        ("/_sandbox/api/poll", {"after": -1}, "after"),
        ("/_sandbox/api/poll", {"after": True}, "after"),
        ("/_sandbox/api/poll", {"users": "U1"}, "users"),
        ("/_sandbox/api/poll", {"users": ["nope"]}, "userId"),
        ("/_sandbox/api/richmenu-switch", {"userId": USER, "data": "x"}, "richMenuAliasId"),
        ("/_sandbox/api/staff", {}, "userId"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, path, body, field):
    answer = client.post(path, json=body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert answer.json["detail"].startswith(field)


def test_a_body_that_is_not_json_is_a_422(client):
    answer = client.post("/_sandbox/api/events", data="nope", content_type="text/plain")
    assert answer.status_code == 422
    assert "JSON object" in answer.json["detail"]


@pytest.mark.parametrize(
    ("form", "why"),
    [
        ({"userId": USER}, "photo:"),
        ({"userId": USER, "photo": (io.BytesIO(b"GIF89a..."), "a.gif")}, "neither"),
        ({"userId": "nobody", "photo": (io.BytesIO(b"\xff\xd8\xff"), "a.jpg")}, "userId"),
    ],
)
def test_a_photo_that_cannot_be_sent_says_why(client, form, why):
    answer = client.post("/_sandbox/api/photos", data=form, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert why in answer.json["detail"]


def test_a_photo_over_10_mb_is_a_413(client):
    big = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 100 * 1024)
    # The multipart body made by hand: the test client would spool a form this big to a file.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="userId"\r\n\r\n'
        + USER.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
        + b"Content-Type: image/jpeg\r\n\r\n"
        + big
        + b"\r\n--b--\r\n"
    )
    answer = client.post(
        "/_sandbox/api/photos", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert answer.status_code == 413
    assert "10 MB" in answer.json["detail"]


def test_staff_before_the_store_is_a_409(client):
    answer = client.post("/_sandbox/api/staff", json={"userId": USER})
    assert answer.status_code == 409
    assert "Create the store" in answer.json["detail"]


def test_the_store_is_made_once_and_then_gets_a_new_key(client, sandbox_app):
    first = client.post("/_sandbox/api/store", json={}).json
    second = client.post("/_sandbox/api/store", json={}).json
    assert first["storeId"] == second["storeId"] == page.STORE_ID
    assert first["key"] != second["key"]
    store = sandbox_app.extensions["loyalty"].store
    assert store.store_for_api_key(first["key"]) is None
    assert store.store_for_api_key(second["key"]).store_id == page.STORE_ID


def test_a_standin_that_is_down_is_a_502_that_says_so(redis_server, redis_client):
    settings = Settings.from_env(_sandbox_env(redis_server.url, "http://127.0.0.1:9"))
    app = create_app({"TESTING": True, "SETTINGS": settings})
    page.init_app(app)
    answer = app.test_client().post("/_sandbox/api/poll", json={"users": [USER]})
    assert answer.status_code == 502
    assert "did not answer" in answer.json["detail"]
    app.extensions["loyalty"].line.close()


def test_the_sweep_runs_and_reports(client):
    answer = client.post("/_sandbox/api/sweep", json={})
    assert answer.status_code == 200
    assert answer.json["points_expired"] == 0
    assert set(answer.json) >= {"members", "notices", "reminders", "tickets_expired"}
