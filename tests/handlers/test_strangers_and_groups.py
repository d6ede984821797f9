"""Someone who never followed gets a card when they ask for it, or a button that makes one;
never "block and unblock". Added to a group or a room, the bot says why in one line and
leaves."""

from __future__ import annotations

import secrets

import pytest
from linebot.v3.messaging import Message, TextMessage

from tests.support import events


def test_a_card_request_from_someone_who_never_followed_registers_them(say, services, fake_line):
    user = events.user_id()  # a friend from before the bot, say: no follow event ever came
    fake_line.add_profile(user, "Kenji", language="ja")
    reply = say(events.text(user, "会員証"))
    assert reply[0]["text"].startswith("Kenjiさん、友だち追加ありがとうございます")
    assert reply[1]["type"] == "flex"  # the card
    member = services.store.member_for_user(user)
    assert member is not None
    assert member.display_name == "Kenji"
    # Asking again shows the same card, no second welcome.
    again = say(events.postback(user, "action=card"))
    assert [m["type"] for m in again] == ["flex"]
    assert services.store.member_for_user(user).number == member.number


@pytest.mark.parametrize(
    "data", ["action=points", "action=history", "action=settings", "action=rewards"]
)
def test_other_requests_say_how_to_get_a_card_with_a_button(say, services, data):
    user = events.user_id()
    [reply] = say(events.postback(user, data))
    Message.from_dict(reply)
    assert "会員証がまだありません" in reply["text"]
    assert "ブロック" not in reply["text"]
    [button] = reply["quickReply"]["items"]
    assert button["action"]["data"] == "action=card"
    assert button["action"]["label"] == "会員証を作る"
    assert services.store.member_for_user(user) is None
    # The button makes the card.
    card = say(events.postback(user, button["action"]["data"]))
    assert card[-1]["type"] == "flex"
    assert services.store.member_for_user(user) is not None


def test_english_strangers_are_not_told_to_block_and_unblock(say, fake_line):
    user = events.user_id()
    fake_line.add_profile(user, "Alex", language="en")
    # Without a member record the language is not known yet: the hint is Japanese, and the
    # card, once made, follows the profile.
    [reply] = say(events.postback(user, "action=points"))
    assert "Block" not in reply["text"]
    card = say(events.postback(user, "action=card"))
    assert card[0]["text"].startswith("Thanks for adding us, Alex!")


@pytest.mark.parametrize("prefix", ["C", "R"])
def test_the_bot_says_why_and_leaves_a_group_or_room(say, fake_line, services, prefix):
    chat_id = prefix + secrets.token_hex(16)
    [reply] = say(events.join(chat_id))
    assert isinstance(Message.from_dict(reply), TextMessage)
    assert "1対1のトーク" in reply["text"]
    assert "one-to-one chats only" in reply["text"]
    assert "\n" not in reply["text"]
    assert fake_line.left_chats() == [chat_id]
    kind = "group" if prefix == "C" else "room"
    [left] = fake_line.recorded(f"/v2/bot/{kind}/{chat_id}/leave")
    assert left.status == 200


def test_the_bot_leaves_even_when_the_reply_is_refused(say, fake_line):
    chat_id = "C" + secrets.token_hex(16)
    fake_line.fail_next("/v2/bot/message/reply", 400, body={"message": "Invalid reply token"})
    say(events.join(chat_id))
    assert fake_line.left_chats() == [chat_id]


def test_messages_in_a_group_get_no_answer(say, fake_line):
    event = events.text(events.user_id(), "会員証")
    event["source"] = {"type": "group", "groupId": "C" + secrets.token_hex(16),
                       "userId": event["source"]["userId"]}  # fmt: skip
    assert say(event) == []
    assert fake_line.left_chats() == []
