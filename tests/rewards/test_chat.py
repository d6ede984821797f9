"""Rewards in the chat: the list, the confirm step, the ticket and its image, my tickets, and
staff using a ticket from a photo, with undo."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest
import zxingcpp
from linebot.v3.messaging import FlexMessage, Message
from PIL import Image

from bot import create_app
from bot.config import DEFAULT_PROGRAM, PROJECT_ROOT
from bot.domain.program import load_program
from bot.domain.records import TicketState
from bot.handlers.rewards import ticket_view
from bot.messages.rewards_views import OfferView, rewards_message
from bot.operations import rewards
from bot.store.staff import StaffRegistry
from tests.conftest import make_settings
from tests.handlers.test_staff_flow import _image_event, _photo
from tests.rewards.conftest import PROGRAM, balance, give
from tests.support import events
from tests.support.flex import texts_in


def _buttons(message: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message)
    return found


def _check_flex(message: dict) -> None:
    assert isinstance(Message.from_dict(message), FlexMessage)
    assert 0 < len(message["altText"]) <= 1500
    size = len(json.dumps(message["contents"], ensure_ascii=False).encode())
    assert size <= (50_000 if message["contents"]["type"] == "carousel" else 30_000)


def test_rewards_list_confirm_exchange_and_the_ticket(say, member, services, client):
    give(services, member, 80)
    [listing] = say(events.text(member.line_user_id, "特典"))
    _check_flex(listing)
    bubbles = listing["contents"]["contents"]
    assert len(bubbles) == 4  # the balance, then coffee, bag and quick (no goal-only gift)
    assert "80 pt" in texts_in(bubbles[0])
    assert "あと 20 pt で交換できます" in texts_in(bubbles[2])  # the bag costs 100
    assert "残り 3 枚" in texts_in(bubbles[2])
    exchange_buttons = [a for a in _buttons(listing) if a["data"].startswith("action=reward&")]
    assert [a["data"] for a in exchange_buttons] == [
        "action=reward&r=coffee",
        "action=reward&r=quick",
    ]

    [confirm] = say(events.postback(member.line_user_id, "action=reward&r=coffee"))
    _check_flex(confirm)
    assert "80 pt → 30 pt" in texts_in(confirm)[0]
    [go, cancel] = _buttons(confirm)
    assert go["data"].startswith("action=exchange&r=coffee&c=50&n=")
    assert cancel["data"] == "action=rewards"
    assert balance(services, member) == 80  # nothing taken until the confirm

    [ticket] = say(events.postback(member.line_user_id, go["data"]))
    _check_flex(ticket)
    assert "コーヒー1杯" in ticket["altText"]
    [issued] = services.tickets.tickets(member.member_id)
    image = client.get(urlsplit(ticket["contents"]["hero"]["url"]).path)
    assert image.status_code == 200
    assert image.headers["Cache-Control"].startswith("private, max-age=")
    picture = Image.open(io.BytesIO(image.data))
    assert max(picture.size) <= 1024
    decoded = {(str(r.format), r.text) for r in zxingcpp.read_barcodes(picture)}
    assert decoded == {("Code 128", issued.code), ("QR Code", issued.code)}
    etag = image.headers["ETag"]
    assert client.get(urlsplit(ticket["contents"]["hero"]["url"]).path,
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip

    # A double tap: the same ticket again, the points taken once.
    [again] = say(events.postback(member.line_user_id, go["data"]))
    assert again["contents"]["hero"]["url"] == ticket["contents"]["hero"]["url"]
    assert balance(services, member) == 30
    assert len(services.tickets.tickets(member.member_id)) == 1

    [mine] = say(events.text(member.line_user_id, "チケット"))
    _check_flex(mine)
    assert len(mine["contents"]["contents"]) == 1

    [history] = say(events.text(member.line_user_id, "履歴"))
    assert "特典と交換: コーヒー1杯" in texts_in(history)


def test_a_redelivered_exchange_postback_issues_nothing_more(post_webhook, run_jobs, member,
                                                            services):  # fmt: skip
    give(services, member, 100)
    event = events.postback(member.line_user_id, "action=exchange&r=coffee&c=50&n=0123abcd")
    post_webhook(event)
    post_webhook(events.redelivered(event))
    run_jobs()
    assert balance(services, member) == 50
    assert len(services.tickets.tickets(member.member_id)) == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("action=reward&r=bag", "ポイントが足りません"),
        ("action=reward&r=gold-gift", "いま交換できません"),
        ("action=reward&r=nope", "いま交換できません"),
        ("action=exchange&r=coffee&c=1&n=0123abcd", "内容が変わりました"),
        ("action=exchange&r=bag&c=100&n=0123abce", "ポイントが足りません"),
    ],
)
def test_refusals_say_why_and_take_nothing(say, member, services, data, expected):
    give(services, member, 60)
    [reply] = say(events.postback(member.line_user_id, data))
    assert expected in reply["text"]
    assert balance(services, member) == 60
    assert services.tickets.tickets(member.member_id) == []


def test_no_tickets_says_how_to_get_one(say, member):
    [reply] = say(events.postback(member.line_user_id, "action=tickets"))
    assert "使えるチケットはありません" in reply["text"]


def test_staff_scan_a_ticket_photo_use_it_and_undo(
    say, member, services, client, store_key, fake_line
):
    give(services, member, 100)
    issued = rewards.exchange(services, member.member_id, "coffee", 50, "5caf0001").ticket
    url = ticket_view(services, member.member_id, "ja", issued).image_url
    token = urlsplit(url).path.split("/")[-1].removesuffix(".png")
    # The signed URL is readable: it must name the ticket, not carry its code.
    assert issued.code not in str(services.ticket_urls.fields_from(token, services.clock()))
    png = client.get(urlsplit(url).path).data
    staff = events.user_id()
    StaffRegistry(services.store.redis).add(staff, "S001")

    [found] = say(_image_event(fake_line, staff, _photo(png)))
    _check_flex(found)
    assert "コーヒー1杯" in texts_in(found)[0]
    [use, _cancel] = _buttons(found)
    [used] = say(events.postback(staff, use["data"]))
    assert "使いました" in used["text"]
    assert services.tickets.ticket(member.member_id, issued.number).state is TicketState.USED
    [again] = say(events.postback(staff, use["data"]))  # a double tap
    assert "使いました" in again["text"]
    uses = [e for e in services.ledger.history(member.member_id, count=50) if e.kind == "use"]
    assert len(uses) == 1

    [undone] = say(events.postback(staff, "action=staff_undo"))
    assert "取り消しました" in undone["text"]
    assert services.tickets.ticket(member.member_id, issued.number).usable(services.clock())
    [nothing] = say(events.postback(staff, "action=staff_undo"))
    assert "取り消しできる" in nothing["text"]

    # Scanned again (typed this time): usable, and a second scan after use says so.
    [found] = say(events.text(staff, issued.code))
    [use, _cancel] = _buttons(found)
    say(events.postback(staff, use["data"]))
    [used_before] = say(events.text(staff, issued.code))
    assert "すでに使われています" in used_before["text"]


def test_the_rewards_list_with_the_most_and_longest_rewards_fits_lines_limits():
    design = load_program(DEFAULT_PROGRAM).card
    offers = [
        OfferView(
            f"reward-{i}",
            "特" * 40,
            99_999_999,
            "12か月",
            99_999_999,
            999_999,
            "https://x.test/media/reward/" + "r" * 1900,
        )
        for i in range(11)
    ]
    message = rewards_message("ja", design, 123_456_789, offers)
    _check_flex(message)
    assert len(message["contents"]["contents"]) == 12


def test_a_rewards_image_is_shown_in_the_list_and_served(tmp_path, redis_server, fake_line,
                                                        redis_client):  # fmt: skip
    (tmp_path / "coffee.png").write_bytes((PROJECT_ROOT / "assets" / "logo.png").read_bytes())
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM.replace('valid = "10d"', 'valid = "10d"\nimage = "coffee.png"', 1),
                       encoding="utf-8")  # fmt: skip
    app = create_app({"SETTINGS": make_settings(redis_server.url, fake_line.url,
                                                LOYALTY_PROGRAM=str(program))})  # fmt: skip
    services = app.extensions["loyalty"]
    reward = services.settings.program.reward("coffee")
    url = services.reward_image_url(reward)
    assert url.startswith("https://cards.example.test/media/reward/coffee?v=")
    served = app.test_client().get(urlsplit(url).path)
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == (tmp_path / "coffee.png").read_bytes()
    assert app.test_client().get("/media/reward/bag").status_code == 404  # no image
    assert app.test_client().get("/media/reward/nope").status_code == 404
    app.extensions["loyalty"].line.close()
