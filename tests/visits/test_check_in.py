"""Check-ins by beacon and by the entrance QR code: once per store and day, a monthly cap,
refusals that say why, and visit goals."""

from __future__ import annotations

import threading
import unicodedata
from datetime import date

import pytest

from bot.domain import checkin_codes
from bot.domain.records import Outcome
from bot.operations import visits
from bot.store import keys
from tests.support import events
from tests.visits.conftest import DAY, HWID_1, HWID_2, T0, balance


def test_a_beacon_enter_checks_a_member_in_once_a_day(say, member, stores, services, clock):
    [reply] = say(events.beacon(member.line_user_id, HWID_1))
    assert "渋谷店でチェックインしました" in reply["text"]
    assert "+5 pt（残高 5 pt）" in reply["text"]
    assert "あと 1 回の来店で「来店プレゼント」" in reply["text"]
    assert balance(services, member) == 5
    # Walking past again the same day: nothing granted, nothing said.
    assert say(events.beacon(member.line_user_id, HWID_1)) == []
    clock(T0 + 13 * 3600)  # 23:00 the same local day
    assert say(events.beacon(member.line_user_id, HWID_1)) == []
    assert balance(services, member) == 5
    [entry] = services.ledger.history(member.member_id, count=1)
    assert (entry.kind, entry.points, entry.fields["s"], entry.fields["via"]) == (
        "visit",
        5,
        "S001",
        "beacon",
    )
    clock(T0 + 14 * 3600)  # 00:00 the next local day
    [reply] = say(events.beacon(member.line_user_id, HWID_1))
    assert "チェックインしました" in reply["text"]
    assert balance(services, member) == 10


def test_a_redelivered_beacon_event_grants_once(post_webhook, run_jobs, member, stores, services):
    event = events.beacon(member.line_user_id, HWID_1)
    post_webhook(event)
    post_webhook(events.redelivered(event))
    run_jobs()
    assert balance(services, member) == 5


def test_twenty_concurrent_enters_grant_once(member, stores, services):
    outcomes: list[Outcome] = []

    def enter() -> None:
        done = visits.check_in_by_beacon(services, member.member_id, HWID_1)
        outcomes.append(done.outcome.status)

    threads = [threading.Thread(target=enter) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [Outcome.ALREADY] * 19 + [Outcome.APPLIED]
    assert balance(services, member) == 5
    assert services.visits.total(member.member_id) == 1


@pytest.mark.parametrize("kind", ["banner", "stay"])
def test_other_beacon_types_and_unknown_beacons_grant_nothing(say, member, stores, services,
                                                              kind):  # fmt: skip
    assert say(events.beacon(member.line_user_id, HWID_1, kind)) == []
    assert say(events.beacon(member.line_user_id, "ffffffffff")) == []
    assert balance(services, member) == 0
    assert services.visits.total(member.member_id) == 0


def test_a_beacon_at_another_store_a_moment_later_is_refused(say, member, stores, services,
                                                            clock):  # fmt: skip
    say(events.beacon(member.line_user_id, HWID_1))
    clock(T0 + 30)
    [reply] = say(events.beacon(member.line_user_id, HWID_2))
    assert "別の店舗でチェックインしたばかり" in reply["text"]
    assert balance(services, member) == 5
    clock(T0 + 120)
    [reply] = say(events.beacon(member.line_user_id, HWID_2))
    assert "新宿店でチェックインしました" in reply["text"]
    assert balance(services, member) == 10


def test_a_code_at_one_store_and_a_beacon_at_another_a_moment_apart_grant_once(
    say, member, stores, services, clock
):
    code, _ = visits.screen_code(services, "S001")
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S001", code)))
    assert "チェックインしました" in reply["text"]
    clock(T0 + 20)
    [reply] = say(events.beacon(member.line_user_id, HWID_2))
    assert "別の店舗でチェックインしたばかり" in reply["text"]
    clock(T0 + 40)
    poster = visits.poster_code(services, "S002", date(2027, 3, 1))
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S002", poster)))
    assert "別の店舗でチェックインしたばかり" in reply["text"]
    assert balance(services, member) == 5


def test_the_monthly_cap_counts_every_store(member, services, clock):
    for n in range(1, 5):
        services.store.add_store(f"S00{n}", f"店{n}")
    results = []
    for n in range(1, 5):
        clock(T0 + n * 120)  # a store or two down the road, minutes apart
        results.append(
            visits.check_in(services, member.member_id, f"S00{n}", "code").outcome.status
        )
    assert results == [Outcome.APPLIED] * 3 + [Outcome.CAPPED]
    assert balance(services, member) == 15
    clock(T0 + 31 * DAY)  # April: a new month
    assert visits.check_in(services, member.member_id, "S004", "code").outcome.status is (
        Outcome.APPLIED
    )


def test_a_capped_check_in_says_so(say, member, services, clock):
    for n in range(1, 5):
        services.store.add_store(f"S00{n}", f"店{n}")
    for n in range(1, 4):
        clock(T0 + n * 120)
        visits.check_in(services, member.member_id, f"S00{n}", "code")
    clock(T0 + 600)
    code, _ = visits.screen_code(services, "S004")
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S004", code)))
    assert "上限（3 回）" in reply["text"]


def test_a_stranger_gets_the_card_offer(say, stores, services):
    stranger = events.user_id()
    [reply] = say(events.beacon(stranger, HWID_1))
    assert "会員証" in reply["text"]
    assert services.store.member_for_user(stranger) is None


def test_the_entrance_code_checks_in_and_says_the_points(say, member, stores, services):
    code, _ = visits.screen_code(services, "S001")
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S001", code)))
    assert "渋谷店でチェックインしました" in reply["text"]
    [again] = say(events.text(member.line_user_id, checkin_codes.message("S001", code)))
    assert "今日はもうチェックイン済み" in again["text"]
    assert balance(services, member) == 5


def test_a_photographed_code_used_later_is_refused(say, member, stores, services, clock):
    code, _ = visits.screen_code(services, "S001")
    clock(T0 + 61)  # two windows later
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S001", code)))
    assert "古くなっています" in reply["text"]
    assert balance(services, member) == 0


def test_a_code_scanned_just_before_it_changed_still_works(say, member, stores, services, clock):
    clock(T0 + 29)
    code, changes_in = visits.screen_code(services, "S001")
    assert changes_in == 1
    clock(T0 + 45)
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S001", code)))
    assert "チェックインしました" in reply["text"]


@pytest.mark.parametrize(
    "message",
    [
        lambda services: checkin_codes.message("S002", visits.screen_code(services, "S001")[0]),
        lambda services: checkin_codes.message("S001", "12345678"),
        lambda services: checkin_codes.message("S999", visits.screen_code(services, "S001")[0]),
        lambda services: checkin_codes.message("S001", "20270228-" + "1" * 8),
    ],
    ids=["another-store", "made-up", "unknown-store", "made-up-poster"],
)
def test_codes_of_another_store_or_made_up_are_refused(say, member, stores, services, message):
    [reply] = say(events.text(member.line_user_id, message(services)))
    assert "このチェックインコードは使えません" in reply["text"]
    assert balance(services, member) == 0


def test_a_posters_code_works_on_its_day_only(say, member, stores, services, clock):
    poster = visits.poster_code(services, "S001", date(2027, 3, 1))
    text = checkin_codes.message("s001", poster)  # the store id in any case
    [reply] = say(events.text(member.line_user_id, text))
    assert "チェックインしました" in reply["text"]
    clock(T0 + DAY)
    [reply] = say(events.text(member.line_user_id, checkin_codes.message("S001", poster)))
    assert "古くなっています" in reply["text"]
    assert balance(services, member) == 5


def test_the_visit_goal_gives_its_ticket_once_with_a_push(member, stores, services, clock,
                                                         run_jobs, fake_line):  # fmt: skip
    visits.check_in(services, member.member_id, "S001", "code")
    assert services.tickets.tickets(member.member_id) == []
    clock(T0 + DAY)
    done = visits.check_in(services, member.member_id, "S001", "code")
    assert done.outcome.total == 2
    assert done.next_goal is None
    [gift] = services.tickets.tickets(member.member_id)
    assert (gift.reward, gift.source) == ("visit-gift", "goal")
    clock(T0 + 2 * DAY)
    visits.check_in(services, member.member_id, "S001", "code")
    assert len(services.tickets.tickets(member.member_id)) == 1
    run_jobs()
    pushed = [m for m in fake_line.messages_for(member.line_user_id) if m["type"] == "flex"]
    assert len(pushed) == 1
    assert "来店プレゼント" in pushed[0]["altText"]


def test_check_in_messages_are_recognised_in_any_width_and_case(member, stores, services):
    code, _ = visits.screen_code(services, "S001")
    normalised = "ＣＨＥＣＫ-ＩＮ s001 " + code
    request = checkin_codes.parse(normalised, unicodedata.normalize("NFKC", normalised).casefold())
    assert request == checkin_codes.CheckInRequest("S001", code)
    assert checkin_codes.parse("チェックイン", "チェックイン") is None
    assert checkin_codes.parse("hello S001 12345678", "hello s001 12345678") is None


def _visit(services, member, store_id: str, day: str, now: int) -> Outcome:
    return services.visits.check_in(
        member_id=member.member_id, now=now, store_id=store_id, day=day, month=day[:7],
        cap=100, points=1, via="code",
    ).status  # fmt: skip


def _visit_records(services, member) -> set[str]:
    ops = services.store.redis.hkeys(keys.member_ledger(member.member_id).ops)
    return {field for field in ops if field.startswith("v:")}


def test_a_check_in_record_is_kept_for_its_day_and_the_next_only(member, stores, services):
    """The record that makes a check-in once per store and day goes when a later day begins
    after the next: a daily shopper's records do not pile up, and a check-in computed before
    midnight that reaches Redis after one of the next day still counts once."""
    assert _visit(services, member, "S001", "2026-12-01", T0) is Outcome.APPLIED
    assert _visit(services, member, "S002", "2026-12-01", T0 + 3600) is Outcome.APPLIED
    assert _visit(services, member, "S001", "2026-12-01", T0 + 7200) is Outcome.ALREADY
    assert _visit_records(services, member) == {"v:S001:2026-12-01", "v:S002:2026-12-01"}
    for n in range(2, 30):
        day = f"2026-12-{n:02d}"
        assert _visit(services, member, "S001", day, T0 + n * DAY) is Outcome.APPLIED
        assert _visit(services, member, "S001", day, T0 + n * DAY + 60) is Outcome.ALREADY
    assert _visit_records(services, member) == {"v:S001:2026-12-28", "v:S001:2026-12-29"}
    assert services.visits.total(member.member_id) == 30
    # Late ones of the day before, after the next day's: the same store's is still once; the
    # other store's (no check-in there that day) counts, and its record is kept as long.
    late = T0 + 29 * DAY + 120
    assert _visit(services, member, "S001", "2026-12-28", late) is Outcome.ALREADY
    assert _visit(services, member, "S002", "2026-12-28", late) is Outcome.APPLIED
    assert _visit(services, member, "S002", "2026-12-28", late + 60) is Outcome.ALREADY
    # Older than the days kept: its record may be gone, so it never counts again.
    assert _visit(services, member, "S001", "2026-12-27", late + 120) is Outcome.ALREADY
    assert _visit(services, member, "S003", "2026-12-27", late + 180) is Outcome.ALREADY
    assert services.visits.total(member.member_id) == 31
    assert _visit(services, member, "S001", "2026-12-30", T0 + 30 * DAY) is Outcome.APPLIED
    assert _visit_records(services, member) == {"v:S001:2026-12-29", "v:S001:2026-12-30"}


def test_records_of_an_earlier_version_go_at_the_next_check_in(member, stores, services):
    """Written by a version that kept them: the earlier days' records go, today's stays."""
    ops = keys.member_ledger(member.member_id).ops
    record = '{"pts":1,"total":1,"month":1,"at":0}'
    services.store.redis.hset(ops, mapping={"v:S001:2026-11-30": record,
                                            "v:S002:2026-12-01": record, "a:x": "{}"})  # fmt: skip
    assert _visit(services, member, "S001", "2026-12-01", T0) is Outcome.APPLIED
    assert _visit_records(services, member) == {"v:S001:2026-12-01", "v:S002:2026-12-01"}
    assert services.store.redis.hexists(ops, "a:x")  # other records are left alone
    assert _visit(services, member, "S002", "2026-12-01", T0 + 3600) is Outcome.ALREADY
    assert _visit(services, member, "S001", "2026-11-30", T0 + 7200) is Outcome.ALREADY
    assert _visit(services, member, "S002", "2026-12-02", T0 + DAY) is Outcome.APPLIED
    assert _visit(services, member, "S002", "2026-12-03", T0 + 2 * DAY) is Outcome.APPLIED
    assert _visit_records(services, member) == {"v:S002:2026-12-02", "v:S002:2026-12-03"}


def test_a_check_in_counts_for_the_day_its_event_happened(member, stores, services, clock):
    """A beacon event from just before midnight handled just after it (LINE's delivery, a
    retry: the router passes the event's time) is that day's check-in, once, and the new
    day's is another; an event time outside the dedupe window counts as now."""
    midnight = T0 + 14 * 3600  # 00:00 the next local day
    clock(midnight + 5)

    def enter_at(moment: int) -> Outcome:
        return visits.check_in_by_beacon(services, member.member_id, HWID_1, moment).outcome.status

    assert enter_at(midnight - 1) is Outcome.APPLIED
    assert enter_at(midnight - 2) is Outcome.ALREADY  # the same day, the same store: once
    assert enter_at(midnight + 5) is Outcome.APPLIED  # the new day
    assert enter_at(midnight - 3 * DAY) is Outcome.ALREADY  # taken for now: today's, done
    assert enter_at(midnight + DAY) is Outcome.ALREADY  # ahead of the clock: now too
    assert services.visits.total(member.member_id) == 2
    assert balance(services, member) == 10
