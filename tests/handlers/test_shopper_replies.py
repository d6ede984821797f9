"""What a shopper gets back: the welcome and card, help, rewards, unknown postbacks, unfollow."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests.support import events


def _card_bubble(messages: list[dict]) -> dict:
    flex = [m for m in messages if m["type"] == "flex"]
    assert len(flex) == 1, messages
    return flex[0]["contents"]


def test_follow_registers_member_and_replies_welcome_and_scannable_card(
    post_webhook, run_jobs, fake_line, client, services
):
    user = events.user_id()
    fake_line.add_profile(user, "山田 花子", language="ja")
    assert post_webhook(events.follow(user)).status_code == 200
    assert run_jobs() == 0

    [reply] = fake_line.replies()
    assert [m["type"] for m in reply["messages"]] == ["text", "flex"]
    assert "山田 花子" in reply["messages"][0]["text"]
    member = services.store.member_for_user(user)
    assert member is not None
    assert (member.display_name, member.language) == ("山田 花子", "ja")

    bubble = _card_bubble(reply["messages"])
    image_url = bubble["hero"]["url"]
    assert image_url.startswith("https://cards.example.test/media/card/")
    image = client.get(urlsplit(image_url).path)
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.headers["Cache-Control"].startswith("private, max-age=")
    picture = Image.open(io.BytesIO(image.data))
    assert max(picture.size) <= 1024
    # The example program uses rotating codes: Code 128 and QR, both the code of the moment.
    decoded = {(str(r.format), r.text) for r in zxingcpp.read_barcodes(picture)}
    code = services.card_codes.current(member, services.clock()).value
    assert decoded == {("Code 128", code), ("QR Code", code)}


def test_english_profile_gets_english_card(post_webhook, run_jobs, fake_line):
    user = events.user_id()
    fake_line.add_profile(user, "Alex", language="en-US")
    post_webhook(events.follow(user))
    run_jobs()
    [reply] = fake_line.replies()
    assert reply["messages"][0]["text"].startswith("Thanks for adding us, Alex")


@pytest.mark.parametrize(
    "make_event",
    [
        lambda u: events.postback(u, "action=card"),
        lambda u: events.text(u, "会員証"),
        lambda u: events.text(u, " ＣＡＲＤ "),
    ],
    ids=["postback", "japanese-keyword", "fullwidth-english-keyword"],
)
def test_card_on_request(post_webhook, run_jobs, fake_line, make_event):
    user = events.user_id()
    post_webhook(events.follow(user))
    run_jobs()
    post_webhook(make_event(user))
    run_jobs()
    first, second = fake_line.replies()
    assert (
        _card_bubble(second["messages"])["body"]["contents"][0]
        == (
            _card_bubble(first["messages"])["body"]["contents"][0]  # the shopper's name
        )
    )


def test_card_request_from_stranger_explains_how_to_join(post_webhook, run_jobs, fake_line):
    post_webhook(events.postback(events.user_id(), "action=card"))
    run_jobs()
    [reply] = fake_line.replies()
    assert reply["messages"][0]["type"] == "text"


@pytest.mark.parametrize(
    "data", ["", "action=", "action=nope", "a=b&&&", "%%%", "action=card" * 30]
)
def test_unknown_or_hostile_postbacks_reply_nothing(post_webhook, run_jobs, fake_line, data):
    user = events.user_id()
    post_webhook(events.postback(user, data[:300]))
    run_jobs()
    assert fake_line.replies() == []


@pytest.mark.parametrize("unblocked", [True, False], ids=["isUnblocked", "flag-missing"])
def test_unfollow_keeps_points_and_refollow_restores_the_same_card(
    post_webhook, run_jobs, fake_line, services, unblocked
):
    user = events.user_id()
    fake_line.add_profile(user, "Hanako", language="ja")
    post_webhook(events.follow(user))
    run_jobs()
    before = services.store.member_for_user(user)
    services.ledger.adjust(member_id=before.member_id, now=services.clock(), op_key="seed",
                           amount=120, reason="seed")  # fmt: skip
    post_webhook(events.unfollow(user))
    run_jobs()
    assert services.store.member_for_user(user).active is False
    # Back as a friend with a new name and language: the same card and points, today's name.
    # LINE does not guarantee isUnblocked, so the member record decides, not the flag.
    fake_line.add_profile(user, "Hanako Y.", language="en")
    post_webhook(events.follow(user, unblocked=unblocked))
    run_jobs()
    after = services.store.member_for_user(user)
    assert after.active
    assert (after.number, after.balance) == (before.number, 120)
    assert (after.display_name, after.language) == ("Hanako Y.", "en")
    welcome, card = fake_line.replies()[-1]["messages"]
    assert welcome["text"].startswith("Welcome back, Hanako Y.")
    assert "120 points" in card["altText"]
    assert before.number in card["altText"]


@pytest.mark.parametrize(
    ("make_event", "expected"),
    [
        (lambda u: events.postback(u, "action=help"), "できること"),
        (lambda u: events.text(u, "ヘルプ"), "できること"),
        (lambda u: events.postback(u, "action=rewards"), "会員証がまだありません"),
    ],
)
def test_help_and_rewards(post_webhook, run_jobs, fake_line, make_event, expected):
    post_webhook(make_event(events.user_id()))
    run_jobs()
    [reply] = fake_line.replies()
    assert expected in reply["messages"][0]["text"]


def test_rich_menu_tab_switch_is_silent(post_webhook, run_jobs, fake_line):
    event = events.postback(events.user_id(), "action=tab&to=rewards")
    event["postback"]["params"] = {"newRichMenuAliasId": "loyalty-shopper-b", "status": "SUCCESS"}
    post_webhook(event)
    run_jobs()
    assert fake_line.replies() == []


@pytest.mark.parametrize("status", [500, 503, 404])
def test_follow_registers_and_replies_when_the_profile_call_fails(
    post_webhook, run_jobs, fake_line, services, status
):
    # 5xx: LINE failed; 404: LINE keeps the profile from the bot. Either way a card, no name.
    user = events.user_id()
    fake_line.fail_next(f"/v2/bot/profile/{user}", status, count=5)
    assert post_webhook(events.follow(user)).status_code == 200
    run_jobs()
    [reply] = fake_line.replies()
    assert [m["type"] for m in reply["messages"]] == ["text", "flex"]
    assert reply["messages"][0]["text"].startswith("友だち追加ありがとうございます")
    member = services.store.member_for_user(user)
    assert member is not None
    assert (member.display_name, member.language) == ("", "ja")
