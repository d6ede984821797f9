"""The sweep's pushes: reminders per offset and expiry day, notices of expired points, once."""

from __future__ import annotations

import dataclasses
import time

import pytest

from bot.jobs import notices
from bot.jobs.sweep import sweep
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore
from tests.jobs.conftest import DAY, LIFETIME_DAYS, T0, grant

PUSH = "/v2/bot/message/push"
#: When a lot granted at T0 gets its 30-day and its 7-day reminder, and when it has expired.
REMIND_30 = T0 + (LIFETIME_DAYS - 30) * DAY
REMIND_7 = T0 + (LIFETIME_DAYS - 7) * DAY
EXPIRED = T0 + LIFETIME_DAYS * DAY


def alt_texts(fake_line, member) -> list[str]:
    return [m["altText"] for m in fake_line.messages_for(member.line_user_id)]


def test_reminders_at_each_offset_with_total_and_date_once(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member(points=30)
    grant(services, member, 20, T0 + 3600)  # same last day of use: one reminder, 50 points
    english = new_member(language="en", points=7)
    clock(REMIND_30)
    assert sweep(services, REMIND_30).reminders == 2
    run_jobs()
    [ja] = alt_texts(fake_line, member)
    assert "50ポイント" in ja
    assert "2027年4月10日まで" in ja  # granted 1 March 10:00, lives 40 days: to 10 April 10:00
    assert alt_texts(fake_line, english) == ["テスト店: 7 points can be used until 10 Apr 2027"]
    # The same day again, and every day until the 7-day reminder: nothing new.
    for day in range(0, 23):
        clock(REMIND_30 + day * DAY)
        assert sweep(services, REMIND_30 + day * DAY).reminders == 0
    clock(REMIND_7)
    assert sweep(services, REMIND_7).reminders == 2
    run_jobs()
    assert len(alt_texts(fake_line, member)) == 2
    assert len(alt_texts(fake_line, english)) == 2
    assert set(fake_line.deliveries_by_retry_key().values()) == {1}


def test_sweep_twice_in_a_row_queues_nothing_twice(
    services, new_member, clock, run_jobs, fake_line
):
    members = [new_member(points=10 + i) for i in range(5)]
    clock(REMIND_30)
    assert sweep(services, REMIND_30).reminders == 5
    assert sweep(services, REMIND_30).reminders == 0
    run_jobs()
    assert [len(fake_line.messages_for(m.line_user_id)) for m in members] == [1] * 5


def test_interrupted_sweep_rerun_misses_nothing_and_repeats_nothing(
    services, new_member, clock, run_jobs, fake_line, monkeypatch
):
    members = [new_member(points=5) for _ in range(12)]
    clock(REMIND_30)
    real, calls = notices.queue_push, []

    def crash_after_five(*args, **kwargs):
        if len(calls) == 5:
            raise ConnectionError("the sweep's process died")
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(notices, "queue_push", crash_after_five)
    with pytest.raises(ConnectionError):
        sweep(services, REMIND_30)
    monkeypatch.setattr(notices, "queue_push", real)
    run_jobs()  # what was queued before the crash goes out
    assert sweep(services, REMIND_30 + 600).reminders == 7
    run_jobs()
    assert [len(fake_line.messages_for(m.line_user_id)) for m in members] == [1] * 12


def test_crash_between_queueing_and_marking_is_caught_by_the_retry_key(
    services, new_member, clock, run_jobs, fake_line, monkeypatch
):
    member = new_member(points=5)
    clock(REMIND_30)

    def crash(*args, **kwargs):
        raise ConnectionError("died after queueing, before the marker")

    real = notices.NoticeState.mark_reminded
    monkeypatch.setattr(notices.NoticeState, "mark_reminded", crash)
    with pytest.raises(ConnectionError):
        sweep(services, REMIND_30)
    run_jobs()
    monkeypatch.setattr(notices.NoticeState, "mark_reminded", real)
    assert sweep(services, REMIND_30 + 60).reminders == 1  # no marker: queued again
    run_jobs()
    assert [r.status for r in fake_line.recorded(PUSH)] == [200, 409]
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_unfollowed_and_opted_out_members_get_no_reminders(
    services, new_member, clock, run_jobs, fake_line
):
    gone, quiet, kept = new_member(points=5), new_member(points=5), new_member(points=5)
    services.store.deactivate(gone.line_user_id)
    services.store.set_reminders(quiet.member_id, False)
    clock(REMIND_30)
    assert sweep(services, REMIND_30).reminders == 1
    run_jobs()
    assert fake_line.messages_for(gone.line_user_id) == []
    assert fake_line.messages_for(quiet.line_user_id) == []
    assert len(fake_line.messages_for(kept.line_user_id)) == 1


def test_spent_points_are_not_reminded_of(services, new_member, clock, run_jobs, fake_line):
    member = new_member(points=5)
    services.ledger.adjust(
        member_id=member.member_id, now=T0 + 1, op_key="s", amount=-5, reason="r"
    )
    clock(REMIND_30)
    assert sweep(services, REMIND_30).reminders == 0
    run_jobs()
    assert fake_line.recorded(PUSH) == []


def test_a_sweep_missed_for_days_catches_up(services, new_member, clock, run_jobs, fake_line):
    early, late = new_member(points=5), new_member(points=6, at=T0 + 3 * DAY)
    clock(REMIND_30 - 2 * DAY)
    assert sweep(services, REMIND_30 - 2 * DAY).reminders == 0  # nothing due yet
    # The clock process was down for four days: the next sweep reminds both.
    clock(REMIND_30 + 3 * DAY)
    assert sweep(services, REMIND_30 + 3 * DAY).reminders == 2
    run_jobs()
    assert len(fake_line.messages_for(early.line_user_id)) == 1
    assert len(fake_line.messages_for(late.line_user_id)) == 1


def test_expired_points_get_one_notice_per_member(services, new_member, clock, run_jobs, fake_line):
    member = new_member(points=30)
    grant(services, member, 12, T0 + 60)
    grant(services, member, 100, T0 + 20 * DAY)  # still live
    other = new_member(language="en", points=8)
    clock(EXPIRED + 3600)
    report = sweep(services, EXPIRED + 3600)
    assert (report.members, report.points_expired, report.notices) == (2, 50, 2)
    assert sweep(services, EXPIRED + 7200).notices == 0
    run_jobs()
    texts = alt_texts(fake_line, member)
    assert texts == ["テスト店: 42ポイントが失効しました（残高 100ポイント）"]
    assert alt_texts(fake_line, other) == ["テスト店: 8 points have expired (balance 0 points)"]


def test_notice_survives_a_crash_before_the_index_is_cleared(
    services, new_member, clock, run_jobs, fake_line, monkeypatch
):
    member = new_member(points=30)
    clock(EXPIRED + 60)

    def crash(self, entries, shard_tag=""):
        raise ConnectionError("died before clearing the due index")

    real = Ledger.clear_due
    monkeypatch.setattr(Ledger, "clear_due", crash)
    with pytest.raises(ConnectionError):
        sweep(services, EXPIRED + 60)
    monkeypatch.setattr(Ledger, "clear_due", real)
    report = sweep(services, EXPIRED + 120)
    assert report.notices == 0  # already queued before the crash
    run_jobs()
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_points_expired_when_the_shopper_looked_are_still_notified(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member(points=30)
    services.ledger.maintain(member.member_id, EXPIRED + 10)  # the shopper opened "points"
    clock(EXPIRED + 3600)
    assert sweep(services, EXPIRED + 3600).notices == 1
    run_jobs()
    assert "30ポイントが失効" in alt_texts(fake_line, member)[0]


def test_dry_run_counts_without_queueing(services, new_member, clock, run_jobs, fake_line):
    new_member(points=5)
    new_member(points=5, at=REMIND_30 - LIFETIME_DAYS * DAY)
    clock(REMIND_30)
    # The first member is due a reminder; the second's points expire now.
    report = sweep(services, REMIND_30, dry_run=True)
    assert (report.reminders, report.notices, report.points_expired) == (1, 1, 5)
    run_jobs()
    assert fake_line.recorded(PUSH) == []
    assert sweep(services, REMIND_30).reminders == 1


def test_sweep_during_quiet_hours_schedules_for_the_morning(
    services, new_member, clock, scheduled, fake_line
):
    new_member(points=5)
    night = REMIND_30 + 12 * 3600  # 22:00 in Tokyo
    clock(night)
    assert sweep(services, night).reminders == 1
    [delay] = scheduled()
    assert 11 * 3600 - 5 <= delay <= 11 * 3600 + 5  # 09:00 the next morning


def test_pushes_are_spread_at_the_configured_rate(services, new_member, clock, scheduled):
    services.settings = dataclasses.replace(services.settings, push_rate=2)
    for _ in range(5):
        new_member(points=5)
    clock(REMIND_30)
    started = time.time()
    assert sweep(services, REMIND_30).reminders == 5
    finished = time.time()
    # Two now, then two a second: each scheduled that long after it was queued, during the
    # sweep (RQ keeps whole seconds, so a little less; a sweep of 256 shards takes a while).
    at = sorted(finished + d for d in scheduled())
    assert len(at) == 3
    for moment, delay in zip(at, [1, 1, 2], strict=True):
        assert started + delay - 1 <= moment <= finished + delay


def test_reminder_pass_reads_only_what_is_due(services, new_member, clock, monkeypatch):
    due = {new_member(points=5).member_id for _ in range(3)}
    for i in range(30):
        new_member(points=5, at=T0 + (i % 5 + 2) * DAY)  # reminders due on later days
    seen: list[str] = []
    real_member = LoyaltyStore.member
    monkeypatch.setattr(
        LoyaltyStore, "member", lambda self, m: seen.append(m) or real_member(self, m)
    )
    clock(REMIND_30)
    assert sweep(services, REMIND_30).reminders == 3
    assert set(seen) == due
