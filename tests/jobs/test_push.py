"""The one push path: retry keys, LINE's answers, quiet hours, the monthly limit, the rate."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime

import pytest

from bot.domain.retry_keys import receipt_retry_key
from bot.jobs import push
from bot.jobs.backoff import Backoff
from bot.jobs.queue import enqueue_receipt, queue, queue_push
from bot.line.client import LineClient
from bot.store.push_limits import WINDOW, LineQuota, PushRateLimiter
from tests.conftest import ACCESS_TOKEN
from tests.jobs.conftest import DAY, T0, TOKYO, grant

PUSH = "/v2/bot/message/push"


def receipt(amount: int = 1280) -> dict:
    return {
        "store_name": "Shibuya",
        "occurred_at": datetime(2027, 3, 1, 1, 0, tzinfo=UTC).isoformat(),
        "amount": amount,
        "points_earned": amount // 100,
        "points_used": 0,
        "balance": amount // 100,
    }


def send_receipt(services, member, txn: str = "T-1") -> str:
    key = receipt_retry_key("S001", txn)
    enqueue_receipt(services, member.member_id, receipt(), key)
    return key


def reminder(services, member, *, at: int = T0) -> str:
    """Queue a reminder for a lot granted at ``at`` (last day: 39 days later)."""
    grant(services, member, 50, at)
    last_day = datetime.fromtimestamp(at + 40 * DAY - 1, TOKYO).date().isoformat()
    key = str(uuid.uuid4())
    payload = {"offset": "2592000s", "last_day": last_day}
    queue_push(services, "reminder", member.member_id, payload, key, urgent=False)
    return key


def statuses(fake_line) -> list[int]:
    return [r.status for r in fake_line.recorded(PUSH)]


def test_receipt_pushed_once_with_its_retry_key(services, new_member, clock, run_jobs, fake_line):
    member = new_member()
    key = send_receipt(services, member)
    run_jobs()
    [request] = fake_line.recorded(PUSH)
    assert request.headers["x-line-retry-key"] == key
    assert request.json["to"] == member.line_user_id
    assert fake_line.messages_for(member.line_user_id)[0]["type"] == "flex"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_lost_answer_retries_with_the_same_key_and_delivers_once(
    services, new_member, clock, run_jobs, fake_line, status
):
    fake_line.fail_next(PUSH, status, accept_first=True)
    member = new_member()
    send_receipt(services, member)
    run_jobs()
    assert statuses(fake_line) == [status, 409]
    assert len({r.headers["x-line-retry-key"] for r in fake_line.recorded(PUSH)}) == 1
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_timeout_is_retried_with_the_same_key(
    services, new_member, clock, run_jobs, work_queue, fake_line, monkeypatch
):
    monkeypatch.setattr(push, "BACKOFF", Backoff(first=1, cap=1))
    services.line.close()
    services.line = LineClient(ACCESS_TOKEN, fake_line.url, timeout=(1.0, 0.2))
    fake_line.set_delay(PUSH, 0.5)
    member = new_member()
    send_receipt(services, member)
    work_queue()  # times out; LINE takes the request a little later
    fake_line.set_delay(PUSH, 0)
    run_jobs()
    deadline = time.monotonic() + 5
    while len(fake_line.recorded(PUSH)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(statuses(fake_line)) == [200, 409]
    assert len(fake_line.messages_for(member.line_user_id)) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_are_final(services, new_member, clock, work_queue, fake_line, scheduled, status):
    fake_line.fail_next(PUSH, status)
    send_receipt(services, new_member())
    work_queue()
    assert statuses(fake_line) == [status]
    assert queue(services).count == 0
    assert scheduled() == []


def test_rate_limit_429_backs_off_with_jitter_then_delivers(
    services, new_member, clock, run_jobs, work_queue, fake_line, scheduled, monkeypatch
):
    monkeypatch.setattr(push, "BACKOFF", Backoff(first=10, cap=100))
    fake_line.fail_next(PUSH, 429, count=2)
    member = new_member()
    send_receipt(services, member)
    work_queue()
    [delay] = scheduled()
    assert 4 <= delay <= 11  # half to all of the first step, 10 s
    assert LineQuota(services.store.redis).reached_since() is None
    run_jobs()
    assert statuses(fake_line) == [429, 429, 200]
    assert len(fake_line.messages_for(member.line_user_id)) == 1


def test_gives_up_after_max_failures(
    services, new_member, clock, run_jobs, fake_line, scheduled, monkeypatch
):
    monkeypatch.setattr(push, "BACKOFF", Backoff(first=0, cap=0, max_failures=3))
    fake_line.fail_next(PUSH, 500, count=10)
    send_receipt(services, new_member())
    run_jobs()
    assert statuses(fake_line) == [500] * 4
    assert scheduled() == []


def test_no_retry_once_line_may_have_forgotten_the_key(services, new_member, run_jobs, fake_line):
    # Each attempt happens a day after the last: LINE remembers a retry key for 24 hours only,
    # so a second try after a 5xx could deliver twice. It is given up instead.
    hours = itertools.count(T0, DAY)
    services.clock = lambda: next(hours)
    fake_line.fail_next(PUSH, 500, count=5, accept_first=True)
    send_receipt(services, new_member())
    run_jobs()
    assert statuses(fake_line) == [500]


def test_no_push_after_a_long_wait_on_the_monthly_limit_once_one_was_tried(
    services, new_member, clock, run_jobs, work_queue, fake_line, monkeypatch
):
    # The first attempt was taken but its answer lost. Before the retry, other pushes used up
    # the month's messages, and they were back only three days later. By then LINE has
    # forgotten the retry key: sending again could deliver twice, so the reminder is dropped.
    monkeypatch.setattr(push, "BACKOFF", Backoff(first=10, cap=10))
    member = new_member()
    fake_line.fail_next(PUSH, 500, accept_first=True)
    reminder(services, member, at=T0 - 30 * DAY)
    work_queue()  # the retry is scheduled 10 s on
    LineQuota(services.store.redis).mark_reached(T0, T0 + 30 * DAY)
    run_jobs(max_rounds=3)  # the retry waits on the limit without calling LINE
    assert statuses(fake_line) == [500]
    LineQuota(services.store.redis).clear()
    services.clock = lambda: T0 + 3 * DAY
    run_jobs()
    assert statuses(fake_line) == [500]
    assert len(fake_line.messages_for(member.line_user_id)) == 1  # the one LINE took


def test_unfollowed_or_unknown_member_gets_nothing(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member()
    services.store.deactivate(member.line_user_id)
    send_receipt(services, member)
    enqueue_receipt(services, "nobody", receipt(), receipt_retry_key("S001", "T-2"))
    run_jobs()
    assert fake_line.recorded(PUSH) == []


def test_reminders_setting_stops_reminders_not_receipts(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member()
    assert services.store.set_reminders(member.member_id, False)
    reminder(services, member, at=T0 - 30 * DAY)
    send_receipt(services, member)
    run_jobs()
    [request] = fake_line.recorded(PUSH)
    assert "¥1,280" in request.json["messages"][0]["altText"]


def test_reminder_waits_for_the_end_of_quiet_hours_receipt_does_not(
    services, new_member, clock, run_jobs, work_queue, fake_line, scheduled
):
    night = clock(int(datetime(2027, 3, 1, 23, 30, tzinfo=TOKYO).timestamp()))
    member = new_member()
    reminder(services, member, at=night - 30 * DAY)
    send_receipt(services, member)
    work_queue()
    assert len(fake_line.recorded(PUSH)) == 1  # the receipt
    [delay] = scheduled()
    morning = int(datetime(2027, 3, 2, 9, 0, tzinfo=TOKYO).timestamp())
    assert morning - night - 5 <= delay <= morning - night + push.QUIET_SPREAD + 5
    clock(morning + 60)
    run_jobs()
    [_, request] = fake_line.recorded(PUSH)
    assert "50" in request.json["messages"][0]["altText"]


def test_reminder_with_nothing_left_to_expire_is_dropped(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member()
    reminder(services, member, at=T0 - 30 * DAY)
    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="x", amount=-50, reason="r")
    run_jobs()
    assert fake_line.recorded(PUSH) == []


def test_monthly_limit_stops_pushes_and_shows_in_healthz(
    app, services, new_member, clock, run_jobs, work_queue, fake_line, client, scheduled
):
    fake_line.set_monthly_quota(1)
    first, second = new_member(), new_member()
    send_receipt(services, first, "T-1")
    send_receipt(services, second, "T-2")
    reminder(services, first, at=T0 - 30 * DAY)
    work_queue()
    # One receipt went; the other met the limit; the reminder then waited without calling LINE.
    assert statuses(fake_line) == [200, 429]
    assert LineQuota(services.store.redis).reached_since() == T0
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["line_quota"] == "monthly_limit_reached"
    assert health.json["line_quota_since"].startswith("2027-03-01T10:00:00+09:00")
    delays = scheduled()
    assert len(delays) == 2
    assert all(push.QUOTA_RECHECK - 5 <= d <= push.QUOTA_RECHECK + 1 for d in delays)
    # An hour later the receipt tries once more; the reminder still does not call LINE.
    run_jobs(max_rounds=2)
    assert statuses(fake_line) == [200, 429, 429]
    # More messages bought: an operator clears the state, and everything goes out once.
    fake_line.set_monthly_quota(None)
    runner = app.test_cli_runner()
    assert "reached at 2027-03-01 10:00:00 JST" in runner.invoke(args=["jobs", "quota"]).output
    assert "cleared" in runner.invoke(args=["jobs", "quota", "--clear"]).output
    run_jobs()
    assert statuses(fake_line) == [200, 429, 429, 200, 200]
    assert len(fake_line.messages_for(first.line_user_id)) == 2
    assert len(fake_line.messages_for(second.line_user_id)) == 1
    assert client.get("/healthz").json["line_quota"] == "ok"


def test_a_receipt_that_goes_through_clears_the_monthly_limit(
    services, new_member, clock, run_jobs, fake_line
):
    LineQuota(services.store.redis).mark_reached(T0, T0 + DAY)
    send_receipt(services, new_member())
    run_jobs()
    assert statuses(fake_line) == [200]
    assert LineQuota(services.store.redis).reached_since() is None


def test_rate_limiter_never_lets_more_than_the_rate_into_one_second(services):
    limiter = PushRateLimiter(services.store.redis, rate=50)
    started = time.monotonic()
    assert all(limiter.acquire() == 0 for _ in range(50))
    # No burst on top: the 51st waits for the first to leave the window, a little over a
    # second (the spread between taking a slot and reaching LINE).
    wait = limiter.acquire()
    assert WINDOW - (time.monotonic() - started) - 0.05 <= wait <= WINDOW
    assert WINDOW > 1.0
    time.sleep(wait)
    assert limiter.acquire() == 0


def test_backoff_doubles_with_jitter_up_to_the_cap():
    backoff = Backoff(first=5, cap=60)
    for failures, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (9, 60)]:
        delays = {backoff.delay(failures) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({backoff.delay(4) for _ in range(50)}) > 1
    assert Backoff(first=0).delay(3) == 0


def test_receipt_jobs_queued_by_the_previous_release_still_go(
    services, new_member, clock, run_jobs, fake_line
):
    member = new_member()
    key = receipt_retry_key("S001", "T-old")
    queue(services).enqueue("bot.jobs.tasks.send_receipt", member.member_id, receipt(), key)
    run_jobs()
    [request] = fake_line.recorded(PUSH)
    assert request.headers["x-line-retry-key"] == key
