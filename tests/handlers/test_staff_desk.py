"""The staff desk in LINE: today's totals that count each grant once (and no undone one), for
the staff member and the store; one answer to a double tap; typos understood or answered
with a staff hint; the code prompt of the card code mode; the shopper told of an undo."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from bot.handlers import staff
from bot.handlers.base import Context
from bot.messages.postbacks import unpack_lenient
from bot.store.staff import StaffRegistry
from tests.handlers.test_staff_flow import _confirm_data
from tests.support import events
from tests.support.flex import texts_in


def _grant(say, staff_user, code: str, amount: str) -> list[dict]:
    say(events.text(staff_user, code))
    return say(events.postback(staff_user, _confirm_data(say(events.text(staff_user, amount)))))


def _today(say, staff_user) -> str:
    return say(events.postback(staff_user, "action=staff_today"))[0]["text"]


def test_today_leaves_out_an_undone_grant(say, staff_user, shopper, card_code):
    member, _ = shopper
    _grant(say, staff_user, card_code(member), "1000")
    _grant(say, staff_user, card_code(member), "2500")
    assert "取り消しました" in say(events.postback(staff_user, "action=staff_undo"))[0]["text"]
    today = _today(say, staff_user)
    assert "本日の付与（あなた） 1 件 / お会計 ¥1,000 / 付与 10 pt" in today
    assert "店舗 Shibuya 全体 1 件 / お会計 ¥1,000 / 付与 10 pt" in today


def test_today_shows_the_stores_total_beside_the_staff_members_own(
    say, staff_user, shopper, card_code, services
):
    member, _ = shopper
    colleague = events.user_id()
    StaffRegistry(services.store.redis).add(colleague, "S001")
    elsewhere = events.user_id()
    services.store.add_store("S002", "Ikebukuro")
    StaffRegistry(services.store.redis).add(elsewhere, "S002")
    _grant(say, staff_user, card_code(member), "1000")
    _grant(say, colleague, card_code(member), "3000")
    _grant(say, elsewhere, card_code(member), "5000")
    mine = _today(say, staff_user)
    assert "本日の付与（あなた） 1 件 / お会計 ¥1,000 / 付与 10 pt" in mine
    assert "店舗 Shibuya 全体 2 件 / お会計 ¥4,000 / 付与 40 pt" in mine
    assert "全体 1 件 / お会計 ¥5,000" in _today(say, elsewhere)


def _admitted(services, user: str, data: str, event_id: str) -> Context:
    postback = unpack_lenient(data)
    ctx = Context(services, user, None, postback=postback, event_id=event_id)
    admitted = staff.admit(ctx)
    assert admitted is not None
    return admitted


def test_concurrent_confirms_grant_count_and_answer_once(
    say, staff_user, shopper, card_code, services
):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    data = _confirm_data(say(events.text(staff_user, "2000")))
    # Four workers took four taps of the button before any of them finished: each read the
    # session while the grant was still pending.
    contexts = [_admitted(services, staff_user, data, f"01EVENT{i}") for i in range(4)]
    start = threading.Barrier(len(contexts))
    replies: list[list[dict]] = []

    def tap(ctx: Context) -> None:
        start.wait()
        replies.append(staff.confirm(ctx))

    threads = [threading.Thread(target=tap, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for reply in replies if reply) == 1
    assert services.store.member(member.member_id).balance == 20
    assert "本日の付与（あなた） 1 件 / お会計 ¥2,000 / 付与 20 pt" in _today(say, staff_user)


def test_the_event_that_answered_answers_again_when_it_is_handled_again(
    say, staff_user, shopper, card_code, services
):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    data = _confirm_data(say(events.text(staff_user, "2000")))
    first = _admitted(services, staff_user, data, "01SAMEEVENT")
    assert "+20 pt" in staff.confirm(first)[0]["text"]
    # The worker died before replying and RQ runs the same event again: it still answers.
    retried = _admitted(services, staff_user, data, "01SAMEEVENT")
    assert "+20 pt" in staff.confirm(retried)[0]["text"]
    assert staff.confirm(_admitted(services, staff_user, data, "01OTHERTAP")) == []


@pytest.mark.parametrize(
    "typed", ["¥1,280", "1,280", "１，２８０円", "￥1280", "1280円", "\\1,280"]
)
def test_amounts_typed_with_marks_are_understood(say, staff_user, shopper, card_code, typed):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    confirm = say(events.text(staff_user, typed))
    assert confirm[0]["type"] == "flex"
    assert "お会計 ¥1,280" in confirm[0]["contents"]["body"]["contents"][0]["text"]


def test_points_used_typed_with_a_unit_are_understood(
    say, staff_user, shopper, card_code, services
):
    member, _ = shopper
    services.ledger.adjust(member_id=member.member_id, now=services.clock(), op_key="seed",
                           amount=200, reason="seed")  # fmt: skip
    say(events.text(staff_user, card_code(member)))
    confirm = say(events.text(staff_user, "¥1,280 100pt"))
    body = confirm[0]["contents"]["body"]["contents"][0]["text"]
    assert "利用ポイント 100 pt" in body
    assert "付与ポイント +11 pt" in body  # 1,180 yen paid in money


@pytest.mark.parametrize("typed", ["¥1,280", "1,280", "1280"])
def test_an_amount_before_any_card_gets_a_staff_hint(say, staff_user, typed):
    reply = say(events.text(staff_user, typed))
    assert "先に会員証をスキャン" in reply[0]["text"]


def test_other_text_from_staff_gets_the_staff_hint_not_the_shoppers(say, staff_user, shopper):
    member, _ = shopper
    assert "スタッフのかたへ" in say(events.text(staff_user, "おはようございます"))[0]["text"]
    shopper_reply = say(events.text(member.line_user_id, "おはようございます"))[0]["text"]
    assert "スタッフ" not in shopper_reply
    # Keywords still work for staff, as for anyone.
    assert "できること" in say(events.text(staff_user, "ヘルプ"))[0]["text"]


def test_a_corrected_amount_at_the_confirm_step_replaces_the_first(
    say, staff_user, shopper, card_code, services
):
    member, _ = shopper
    say(events.text(staff_user, card_code(member)))
    wrong = _confirm_data(say(events.text(staff_user, "12800")))
    right = say(events.text(staff_user, "1,280"))
    assert "お会計 ¥1,280" in right[0]["contents"]["body"]["contents"][0]["text"]
    assert "確認待ちの付与はありません" in say(events.postback(staff_user, wrong))[0]["text"]
    assert "+12 pt" in say(events.postback(staff_user, _confirm_data(right)))[0]["text"]
    assert services.store.member(member.member_id).balance == 12


def test_the_code_prompt_asks_for_what_the_rotating_mode_accepts(say, staff_user):
    prompt = say(events.postback(staff_user, "action=staff_code"))[0]["text"]
    assert "16桁" in prompt
    assert "会員番号だけでは受け付けられません" in prompt


def test_the_code_prompt_asks_for_the_member_number_in_static_mode(say, staff_user, services):
    program = services.settings.program
    services.settings = dataclasses.replace(
        services.settings, program=dataclasses.replace(program, code_mode="static")
    )
    prompt = say(events.postback(staff_user, "action=staff_code"))[0]["text"]
    assert "会員番号（会員証のバーコードの下の13桁）" in prompt
    assert "16桁" not in prompt


def test_the_shopper_is_told_once_when_staff_undo_a_grant(
    say, staff_user, shopper, card_code, run_jobs, fake_line, services
):
    member, _ = shopper
    _grant(say, staff_user, card_code(member), "5000")
    say(events.postback(staff_user, "action=staff_undo"))
    run_jobs()
    say(events.postback(staff_user, "action=staff_undo"))  # nothing left to undo
    run_jobs()
    messages = fake_line.messages_for(member.line_user_id)
    changes = [m for m in messages if "ポイントが変わりました" in m["altText"]]
    assert len(changes) == 1
    texts = texts_in(changes[0]["contents"])
    assert any("スタッフがポイントの付与を取り消しました" in t for t in texts)
    assert "-50 pt" in texts
    assert "0 pt" in texts  # the balance now
    pushes = fake_line.recorded("/v2/bot/message/push")
    assert all(p.headers.get("x-line-retry-key") for p in pushes)
