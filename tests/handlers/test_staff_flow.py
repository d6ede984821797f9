"""Staff granting points from inside LINE: photo or digits, amount, confirm, undo."""

from __future__ import annotations

import io
import secrets

import pytest
from PIL import Image
from rq import SimpleWorker

from bot import create_app
from bot.jobs.queue import event_queue
from bot.store import keys
from tests.support import events


def _image_event(fake_line, user: str, data: bytes) -> dict:
    message_id = str(secrets.randbelow(10**17))
    fake_line.add_content(message_id, data, "image/jpeg")
    message = {
        "type": "image",
        "id": message_id,
        "quoteToken": secrets.token_urlsafe(12),
        "contentProvider": {"type": "line"},
    }
    return events._event("message", user, message=message)


def _photo(png: bytes) -> bytes:
    # A phone photo of a phone screen: smaller, slightly rotated, on a grey background, JPEG.
    card = Image.open(io.BytesIO(png)).convert("RGB")
    card = card.resize((card.width * 2 // 3, card.height * 2 // 3)).rotate(
        4, expand=True, fillcolor=(90, 90, 90)
    )
    canvas = Image.new("RGB", (card.width + 200, card.height + 300), (90, 90, 90))
    canvas.paste(card, (100, 150))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _confirm_data(messages: list[dict]) -> str:
    footer = messages[0]["contents"]["footer"]["contents"]
    return footer[0]["action"]["data"]


def test_scan_photo_amount_confirm_grants_and_pushes_receipt(
    say, staff_user, shopper, fake_line, services, run_jobs
):
    member, png = shopper
    prompt = say(events.postback(staff_user, "action=staff_scan"))
    kinds = [item["action"]["type"] for item in prompt[0]["quickReply"]["items"]]
    assert kinds == ["camera", "cameraRoll"]
    found = say(_image_event(fake_line, staff_user, _photo(png)))
    assert member.number in found[0]["text"]
    confirm = say(events.text(staff_user, "1,280"))
    assert confirm[0]["type"] == "flex"
    # The confirm step says what the grant will give.
    assert "付与ポイント +12 pt" in confirm[0]["contents"]["body"]["contents"][0]["text"]
    assert "付与 +12 pt" in confirm[0]["altText"]
    data = _confirm_data(confirm)
    granted = say(events.postback(staff_user, data))
    assert "+12 pt" in granted[0]["text"]
    assert services.store.member(member.member_id).balance == 12
    assert len(fake_line.messages_for(member.line_user_id)) == 1  # the receipt
    # A double tap on the same confirm button grants nothing more, and answers once.
    assert say(events.postback(staff_user, data)) == []
    run_jobs()
    assert services.store.member(member.member_id).balance == 12
    assert len(fake_line.messages_for(member.line_user_id)) == 1  # no second receipt


def test_typed_digits_work_and_points_can_be_used(say, staff_user, shopper, services, card_code):
    member, _ = shopper
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="a",
                           amount=200, reason="seed")  # fmt: skip
    code = card_code(member)
    say(events.text(staff_user, f"{code[:6]}-{code[6:]}"))
    confirm = say(events.text(staff_user, "１０００ １００"))
    granted = say(events.postback(staff_user, _confirm_data(confirm)))
    assert "利用 100 pt" in granted[0]["text"]
    assert services.store.member(member.member_id).balance == 200 - 100 + 9


def test_points_are_written_alike_in_every_staff_message(
    say, staff_user, shopper, services, card_code
):
    # Found, confirm, granted and undone once wrote thousands apart: 1,500 in one, 1200 in the next.
    member, _ = shopper
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="a",
                           amount=1500, reason="seed")  # fmt: skip
    found = say(events.text(staff_user, card_code(member)))
    assert "残高 1,500 pt" in found[0]["text"]
    confirm = say(events.text(staff_user, "20000 1200"))
    assert "利用ポイント 1,200 pt" in confirm[0]["contents"]["body"]["contents"][0]["text"]
    assert "利用 1,200 pt" in confirm[0]["altText"]
    granted = say(events.postback(staff_user, _confirm_data(confirm)))
    assert "+188 pt（利用 1,200 pt）" in granted[0]["text"]
    undone = say(events.postback(staff_user, "action=staff_undo"))
    assert "利用 1,200 pt を返却。残高 1,500 pt" in undone[0]["text"]


@pytest.mark.parametrize("amount", ["abc", "-5", "100 200", "9999999999", "0", "¥0"])
def test_bad_amounts_are_asked_again(say, staff_user, shopper, amount, card_code):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    reply = say(events.text(staff_user, amount))
    assert "金額を1円以上の数字で" in reply[0]["text"]


def test_unreadable_photo_and_unknown_code(say, staff_user, shopper, fake_line):
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(blank, format="JPEG")
    assert "読み取れません" in say(_image_event(fake_line, staff_user, blank.getvalue()))[0]["text"]
    garbage = _image_event(fake_line, staff_user, b"not an image at all")
    assert "読み取れません" in say(garbage)[0]["text"]
    assert "見つかりません" in say(events.text(staff_user, "1234567890123456"))[0]["text"]


def test_member_number_and_expired_code_tell_staff_what_to_do(
    say, staff_user, shopper, services, card_code
):
    member, _ = shopper
    # The program uses rotating codes: the printed member number alone is refused.
    assert "会員番号だけでは" in say(events.text(staff_user, member.number))[0]["text"]
    code = card_code(member)
    now = services.clock()
    services.clock = lambda: now + services.settings.program.code_window + 60
    assert "期限切れ" in say(events.text(staff_user, code))[0]["text"]


def test_undo_within_the_window_then_not_again(say, staff_user, shopper, services, card_code):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    say(events.postback(staff_user, _confirm_data(say(events.text(staff_user, "5000")))))
    assert services.store.member(member.member_id).balance == 50
    undone = say(events.postback(staff_user, "action=staff_undo"))
    assert "取り消しました" in undone[0]["text"]
    assert services.store.member(member.member_id).balance == 0
    assert (
        "取り消しできる付与はありません"
        in say(events.postback(staff_user, "action=staff_undo"))[0]["text"]
    )


def test_undo_after_the_window_is_refused(say, staff_user, shopper, services, card_code):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    say(events.postback(staff_user, _confirm_data(say(events.text(staff_user, "5000")))))
    now = services.clock()
    services.clock = lambda: now + 301
    assert (
        "取り消しできる付与はありません"
        in say(events.postback(staff_user, "action=staff_undo"))[0]["text"]
    )
    assert services.store.member(member.member_id).balance == 50


def test_today_lists_the_grants(say, staff_user, shopper, card_code):
    member, _ = shopper
    for amount in ("1000", "2500"):
        say(events.text(staff_user, card_code(member)))
        say(events.postback(staff_user, _confirm_data(say(events.text(staff_user, amount)))))
    assert (
        "2 件 / お会計 ¥3,500 / 付与 35 pt"
        in say(events.postback(staff_user, "action=staff_today"))[0]["text"]
    )


def test_session_survives_a_worker_restart(
    say, staff_user, shopper, settings, services, fake_line, post_webhook, card_code
):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    data = _confirm_data(say(events.text(staff_user, "1000")))
    fresh = create_app({"TESTING": True, "SETTINGS": settings})  # a new worker process
    fresh_services = fresh.extensions["loyalty"]
    fake_line.reset()
    post_webhook(events.postback(staff_user, data))
    with fresh.app_context():
        SimpleWorker([event_queue(fresh_services)], connection=fresh_services.queue_redis).work(
            burst=True
        )
    assert "+10 pt" in fake_line.replies()[0]["messages"][0]["text"]
    fresh_services.line.close()


def test_a_session_written_before_a_deploy_carries_on(say, staff_user, shopper, services):
    member, _ = shopper
    # What the previous version stored after finding the card: plain strings, no enum.
    staff_id = keys.member_id_for(staff_user)
    code = services.card_codes.current(member, services.clock()).value
    services.staff_sessions.put(staff_id, {"step": "amount", "code": code, "number": member.number})
    confirm = say(events.text(staff_user, "1000"))
    assert confirm[0]["type"] == "flex"
    assert services.staff_sessions.get(staff_id)["step"] == "confirm"
    assert "+10 pt" in say(events.postback(staff_user, _confirm_data(confirm)))[0]["text"]


def test_a_session_with_a_step_this_version_does_not_know_is_no_session(say, staff_user, services):
    services.staff_sessions.put(keys.member_id_for(staff_user), {"step": "signature"})
    reply = say(events.text(staff_user, "ヘルプ"))
    assert "できること" in reply[0]["text"]  # a keyword, not "send the amount"


def test_non_staff_get_nothing_from_any_staff_step(
    say, shopper, services, staff_user, fake_line, card_code
):
    member, png = shopper
    stranger = member.line_user_id  # a shopper, not staff
    # A real staff member prepares a grant; the shopper replays every step and the token.
    say(events.text(staff_user, card_code(member)))
    data = _confirm_data(say(events.text(staff_user, "5000")))
    steps = ["action=staff_scan", "action=staff_code", data, "action=staff_cancel"]
    for postback in [*steps, "action=staff_undo", "action=staff_today", "action=staff_confirm&t=x"]:
        assert say(events.postback(stranger, postback)) == []
    assert say(_image_event(fake_line, stranger, _photo(png))) == []
    reply = say(events.text(stranger, member.number))
    assert "見つかりません" not in str(reply)  # treated as ordinary text: a hint, no lookup
    assert services.store.member(member.member_id).balance == 0


def test_staff_cannot_grant_to_their_own_card(
    say, staff_user, services, card_code, post_webhook, run_jobs
):
    post_webhook(events.follow(staff_user))  # the staff member is a shopper too
    run_jobs()
    own = services.store.member_for_user(staff_user)
    reply = say(events.text(staff_user, card_code(own)))
    assert "ご自分の会員証" in reply[0]["text"]
    assert say(events.text(staff_user, "1000"))[0]["type"] == "text"  # no confirm offered


def test_large_grants_go_through_the_pos(say, staff_user, shopper, card_code):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    reply = say(events.text(staff_user, "1000001"))
    assert "¥1,000,000 まで" in reply[0]["text"]


def test_the_ledger_entry_names_the_staff_member(say, staff_user, shopper, services, card_code):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    say(events.postback(staff_user, _confirm_data(say(events.text(staff_user, "1000")))))
    [entry] = services.ledger.history(member.member_id)
    assert entry.fields["ref"].startswith("L" + keys.member_id_for(staff_user)[:8])


def test_a_refused_grant_confirmation_is_pushed_to_staff_without_a_member_record(
    say, staff_user, shopper, fake_line, services, card_code
):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    data = _confirm_data(say(events.text(staff_user, "1,280")))
    fake_line.fail_next("/v2/bot/message/reply", 400, body={"message": "Invalid reply token"})
    assert say(events.postback(staff_user, data)) == []  # the reply was refused
    assert services.store.member(member.member_id).balance == 12  # the grant was applied
    pushes = [p for p in fake_line.recorded("/v2/bot/message/push") if p.json["to"] == staff_user]
    assert len(pushes) == 1
    assert "+12 pt" in pushes[0].json["messages"][0]["text"]
