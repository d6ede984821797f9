"""Card codes at the till: current codes work once, expired ones are 410, forged ones 404."""

from __future__ import annotations

import dataclasses
import io
import threading
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from rq import SimpleWorker

from bot import create_app
from bot.jobs.queue import event_queue, queue
from bot.operations.cards import CardCodes
from bot.store import keys
from tests.conftest import CHANNEL_SECRET, make_settings
from tests.support import events
from tests.support.programs import static_program

NOW = 1_795_000_000  # 2026-11-18 20:06:40 Asia/Tokyo


@pytest.fixture
def member(post_webhook, run_jobs, fake_line, services):
    """A registered shopper, at a fixed time."""
    services.clock = lambda: NOW
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    post_webhook(events.follow(user))
    run_jobs()
    fake_line.reset()
    return services.store.member_for_user(user)


@pytest.fixture
def pos(client, store_key):
    def post(code: str, txn: str, amount: int = 1000, used: int = 0):
        body = {"transaction_id": txn, "card_code": code, "amount": amount, "points_used": used}
        return client.post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {store_key}"}
        )

    return post


def _balance(services, member) -> int:
    return services.store.member(member.member_id).balance


def test_the_code_of_the_moment_is_accepted(pos, member, card_code, services):
    code = card_code(member)
    assert len(code) == 16
    response = pos(code, "T-1")
    assert response.status_code == 201
    assert response.json["member_number"] == member.number
    assert _balance(services, member) == 10


def test_an_expired_code_is_410_and_tells_the_cashier_to_refresh(pos, member, card_code, services):
    code = card_code(member)
    expires = services.card_codes.current(member, NOW).expires_at
    services.clock = lambda: expires
    response = pos(code, "T-late")
    assert response.status_code == 410
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "Card code expired"
    assert "Refresh card" in response.json["detail"]
    assert _balance(services, member) == 0
    services.clock = lambda: expires - 1
    assert pos(code, "T-just-in-time").status_code == 201


def test_forged_codes_are_404(pos, member, card_code, services):
    code = card_code(member)
    forged = [
        code[:-1] + str((int(code[-1]) + 1) % 10),  # one digit of the MAC changed
        str((int(code[0]) % 9) + 1) + code[1:],  # another handle
        "9" * 16,
    ]
    for bad in forged:
        response = pos(bad, f"T-{bad}")
        assert response.status_code == 404, bad
        assert response.json["title"] == "Unknown card"
    assert _balance(services, member) == 0


def test_a_used_code_cannot_pay_for_a_second_transaction(pos, member, card_code, services):
    code = card_code(member)
    assert pos(code, "T-first").status_code == 201
    for store_txn in ("T-second", "T-third"):
        response = pos(code, store_txn)
        assert response.status_code == 410
        assert response.json["title"] == "Card code already used"
    assert _balance(services, member) == 10


def test_a_retry_of_the_same_transaction_returns_the_first_result_even_after_the_window(
    pos, member, card_code, services
):
    code = card_code(member)
    first = pos(code, "T-retry")
    services.clock = lambda: NOW + 3600  # the till lost its connection for an hour
    again = pos(code, "T-retry")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert pos(code, "T-retry", amount=999).status_code == 409  # same id, another body
    assert _balance(services, member) == 10


def test_a_refused_purchase_gives_the_code_back(pos, member, card_code, services):
    code = card_code(member)
    assert pos(code, "T-greedy", used=5).status_code == 409  # no points to use yet
    assert pos(code, "T-fixed").status_code == 201
    assert _balance(services, member) == 10


def test_a_refreshed_card_works_again_in_the_same_minute(pos, member, card_code, services):
    first = card_code(member)
    assert pos(first, "T-a").status_code == 201
    second = card_code(member)  # the shopper taps "refresh card"
    assert second != first
    assert pos(second, "T-b").status_code == 201
    assert _balance(services, member) == 20


def test_two_tills_racing_with_one_code_grant_once(app, store_key, member, card_code, services):
    code = card_code(member)
    statuses: list[int] = []

    def send(txn: str) -> None:
        body = {"transaction_id": txn, "card_code": code, "amount": 1000}
        response = app.test_client().post(
            "/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {store_key}"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(f"T-race-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [410] * 7
    assert _balance(services, member) == 10


def test_a_bare_member_number_is_refused_with_a_clear_message(pos, member, services):
    response = pos(member.number, "T-number")
    assert response.status_code == 404
    assert response.json["title"] == "Member number not accepted"
    assert "open the card in LINE" in response.json["detail"]
    assert _balance(services, member) == 0


def test_lookup_does_not_use_up_the_code(client, store_key, pos, member, card_code, services):
    code = card_code(member)
    headers = {"Authorization": f"Bearer {store_key}"}
    for _ in range(2):
        found = client.post("/api/v1/members/lookup", json={"card_code": code}, headers=headers)
        assert found.status_code == 200
        assert found.json["member_number"] == member.number
    assert pos(code, "T-after-lookup").status_code == 201
    services.clock = lambda: NOW + 3600
    late = client.post("/api/v1/members/lookup", json={"card_code": code}, headers=headers)
    assert late.status_code == 410


def test_members_from_before_rotating_codes_get_a_handle_on_first_card(
    pos, member, services, card_code, redis_client
):
    redis_client.hdel(keys.member(member.member_id), "handle", "code_secret", "code_counter")
    code = card_code(member)
    assert redis_client.get(keys.card_handle(code[:8])) == member.member_id
    assert card_code(member) == code  # the same handle from now on
    assert pos(code, "T-legacy").status_code == 201


def test_card_shows_valid_until_in_the_program_time_zone(
    post_webhook, run_jobs, fake_line, member, client
):
    post_webhook(events.postback(member.line_user_id, "action=card"))
    run_jobs()
    [reply] = fake_line.replies()
    card = reply["messages"][0]
    # NOW is 20:06:40 in Tokyo; a code issued in the 20:06 step is valid until 20:11.
    assert card["altText"].endswith("コードは20:11まで有効")
    rows = [c for c in card["contents"]["body"]["contents"] if c["type"] == "box"]
    assert ["コードの有効期限", "20:11"] in [[t.get("text") for t in r["contents"]] for r in rows]
    image = client.get(urlsplit(card["contents"]["hero"]["url"]).path)
    assert image.status_code == 200
    assert image.headers["Cache-Control"] == "private, max-age=260"


# -- static mode ---------------------------------------------------------------------------


@pytest.fixture
def static_app(tmp_path, redis_server, fake_line, redis_client):
    program = static_program(tmp_path, prefix="21")
    settings = make_settings(redis_server.url, fake_line.url, LOYALTY_PROGRAM=str(program))
    application = create_app({"TESTING": True, "SETTINGS": settings})
    yield application
    application.extensions["loyalty"].line.close()


def test_static_mode_prints_the_member_number_as_ean13_and_accepts_it(static_app, fake_line):
    svc = static_app.extensions["loyalty"]
    client = static_app.test_client()
    user = events.user_id()
    raw = events.body(events.follow(user))
    client.post(
        "/callback", data=raw, headers={"X-Line-Signature": events.sign(raw, CHANNEL_SECRET)}
    )
    with static_app.app_context():
        SimpleWorker([event_queue(svc), queue(svc)], connection=svc.queue_redis).work(burst=True)
    member = svc.store.member_for_user(user)
    assert member.number.startswith("21")
    [reply] = fake_line.replies()
    card = reply["messages"][1]
    assert "有効" not in card["altText"]  # nothing expires on a static card
    image = client.get(urlsplit(card["contents"]["hero"]["url"]).path)
    assert image.headers["Cache-Control"].startswith("public, max-age=")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert [(str(r.format), r.text) for r in decoded] == [("EAN-13", member.number)]

    key = svc.store.add_store("S001", "Shibuya")

    def pos(code: str, txn: str) -> int:
        body = {"transaction_id": txn, "card_code": code, "amount": 1000}
        headers = {"Authorization": f"Bearer {key}"}
        return client.post("/api/v1/transactions", json=body, headers=headers).status_code

    assert pos(member.number, "T-1") == 201
    assert pos(member.number, "T-2") == 201  # a member number is not used up
    # A rotating code shown just before the program switched to static keeps working.
    rotating_program = dataclasses.replace(svc.settings.program, code_mode="rotating")
    before_switch = CardCodes(svc.store, rotating_program, svc.settings.secret_key)
    assert pos(before_switch.current(member, svc.clock()).value, "T-3") == 201
    assert svc.store.member(member.member_id).balance == 30


def test_a_refused_purchase_leaves_nothing_a_later_retry_could_ride_on(
    pos, member, card_code, services
):
    # Refused for lack of points: the transaction id must not stay bound to the scanned code,
    # or replaying the same body later would redeem without a current card.
    code = card_code(member)
    assert pos(code, "X-0", amount=100, used=10).status_code == 409
    assert pos(code, "T-real", amount=10_000).status_code == 201  # 100 points now
    services.clock = lambda: NOW + 86400  # the code is long expired
    replay = pos(code, "X-0", amount=100, used=10)
    assert replay.status_code in (404, 410)  # a stale code, checked like any new request
    assert _balance(services, member) == 100


def test_lookup_refuses_a_code_a_transaction_already_took(
    client, pos, member, card_code, store_key
):
    code = card_code(member)
    headers = {"Authorization": f"Bearer {store_key}"}
    before = client.post("/api/v1/members/lookup", json={"card_code": code}, headers=headers)
    assert before.status_code == 200  # looking up does not use the code
    assert pos(code, "T-look").status_code == 201
    after = client.post("/api/v1/members/lookup", json={"card_code": code}, headers=headers)
    assert after.status_code == 410
    assert after.json["title"] == "Card code already used"
