"""Notices to a segment: exactly the right members, once, across a crash and a rerun; the dry
run; the quota; promotions off and unfollowed members left out; the notice file's checks."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from linebot.v3.messaging import ApiException

from bot.domain.durations import parse_duration
from bot.domain.notices import NoticeError, parse_notice
from bot.operations import campaigns
from bot.operations.campaigns import CampaignError, Segment
from tests.support.events import user_id

TOKYO = ZoneInfo("Asia/Tokyo")
T0 = int(datetime(2027, 3, 1, 10, 0, tzinfo=TOKYO).timestamp())
DAY = 86400
NOTICE = [{"type": "text", "text": "春のセール開催中!"}]
MULTICAST = "/v2/bot/message/multicast"


@pytest.fixture
def shoppers(services, monkeypatch):
    """300 members: ranks by spend, active at S001, S002 or not lately, ja/en, some with
    promotions off, some unfollowed. Returns {name: set of member ids}."""
    monkeypatch.setattr(campaigns, "BATCH", 100)
    services.clock = lambda: T0
    services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    groups: dict[str, set[str]] = {}
    for n in range(300):
        language = "en" if n % 5 == 0 else "ja"
        member, _ = services.store.register_member(user_id(), f"m{n}", language)
        amount = (0, 1000, 40_000, 120_000)[n % 4]  # regular, regular, silver, gold
        store = "S001" if n % 3 == 0 else "S002"
        at = T0 - (2 * DAY if n % 10 < 6 else 60 * DAY)
        if amount:
            services.ledger.purchase(
                member_id=member.member_id, now=at, op_key=f"p:{n}", fingerprint="f",
                amount=amount, points_used=0, store_id=store, transaction_id=f"t{n}",
            )  # fmt: skip
        if n % 7 == 0:
            services.store.set_promotions(member.member_id, False)
        if n % 11 == 0:
            services.store.deactivate(member.line_user_id)
        groups.setdefault("all", set()).add(member.member_id)
        keyed = {
            "gold": amount == 120_000,
            "S001": bool(amount) and store == "S001",
            "recent": bool(amount) and n % 10 < 6,
            "en": language == "en",
            "off": n % 7 == 0,
            "gone": n % 11 == 0,
        }
        for name, yes in keyed.items():
            if yes:
                groups.setdefault(name, set()).add(member.member_id)
    return groups


def _reached(fake_line, services) -> list[str]:
    """The member ids LINE delivered a multicast to, with repeats."""
    ids = []
    for request in fake_line.recorded(MULTICAST):
        if request.status == 200:
            ids += [services.store.member_for_user(u).member_id for u in request.json["to"]]
    return ids


def test_a_segment_reaches_exactly_its_members_once(services, shoppers, fake_line):
    segment = Segment(ranks=("gold",), store="S001", active_days=7)
    done = campaigns.send(services, "spring", NOTICE, segment)
    expected = (shoppers["gold"] & shoppers["S001"] & shoppers["recent"]) - shoppers["off"]
    expected -= shoppers["gone"]
    assert sorted(_reached(fake_line, services)) == sorted(expected)
    assert done.sent_now == len(expected) > 0
    again = campaigns.send(services, "spring", NOTICE, segment)
    assert (again.sent_now, again.already_sent) == (0, len(expected))
    assert sorted(_reached(fake_line, services)) == sorted(expected)  # nobody twice


@pytest.mark.parametrize(
    ("segment", "pick"),
    [
        (Segment(language="en"), lambda g: g["en"]),
        (Segment(inactive_days=30), lambda g: g["all"] - g["recent"]),
        (Segment(min_balance=400), lambda g: g["silver+"]),
        (Segment(expiring_within=parse_duration("400d")), lambda g: g["bought"]),
    ],
    ids=["lang", "inactive", "min-balance", "expiring"],
)
def test_each_segment_option(services, shoppers, fake_line, segment, pick):
    bought = {m for m in shoppers["all"] if services.store.member(m).balance > 0}
    shoppers["bought"] = bought
    shoppers["silver+"] = {m for m in bought if services.store.member(m).balance >= 400}
    selection = campaigns.resolve(services, segment, T0)
    expected = pick(shoppers) - shoppers["off"] - shoppers["gone"]
    assert sorted(selection.member_ids) == sorted(expected)
    assert selection.left_out["promotions off"] == len(pick(shoppers) & shoppers["off"] -
                                                       shoppers["gone"])  # fmt: skip


def test_a_crash_mid_send_and_a_rerun_reach_everyone_once(services, shoppers, fake_line):
    segment = Segment()
    expected = shoppers["all"] - shoppers["off"] - shoppers["gone"]
    # The second multicast is taken by LINE but its answer is lost; the run stops there.
    fake_line.fail_next(MULTICAST, 500, body={"message": "lost"}, accept_first=False)
    with pytest.raises(ApiException):  # the run stops, as a crash would
        campaigns.send(services, "crash", NOTICE, segment)
    fake_line.fail_next(MULTICAST, 500, accept_first=True)
    with pytest.raises(ApiException):
        campaigns.send(services, "crash", NOTICE, segment)
    done = campaigns.send(services, "crash", NOTICE, segment)
    assert done.members == len(expected)
    # Every batch accepted once, the one whose answer was lost too (its rerun got a 409).
    assert set(fake_line.deliveries_by_retry_key().values()) == {1}
    inboxes = {m: len(fake_line.messages_for(services.store.member(m).line_user_id))
               for m in shoppers["all"]}  # fmt: skip
    assert {m for m, n in inboxes.items() if n} == expected
    assert set(inboxes[m] for m in expected) == {1}


def test_the_dry_run_counts_and_sends_nothing(services, shoppers, fake_line):
    fake_line.set_monthly_quota(1000)
    plan = campaigns.plan(services, "dry", NOTICE, Segment(ranks=("gold",)))
    gold = shoppers["gold"]
    assert plan.members == len(gold - shoppers["off"] - shoppers["gone"])
    assert plan.requests == -(-plan.members // 100)
    assert plan.left_out["promotions off"] == len(gold & shoppers["off"] - shoppers["gone"])
    assert plan.left_out["unfollowed"] == len(gold & shoppers["gone"])
    assert (plan.quota_limit, plan.quota_used) == (1000, 0)
    assert fake_line.recorded(MULTICAST) == []


def test_over_the_quota_it_refuses_with_the_numbers_or_sends_what_fits(services, shoppers,
                                                                      fake_line):  # fmt: skip
    fake_line.set_monthly_quota(150)
    with pytest.raises(CampaignError, match=r"only 150 messages are left"):
        campaigns.send(services, "big", NOTICE, Segment())
    assert fake_line.recorded(MULTICAST) == []
    done = campaigns.send(services, "big", NOTICE, Segment(), up_to_quota=True)
    assert done.stopped_at_quota
    assert done.sent_now == 100  # one batch of 100 fits in 150; the next does not


def test_outside_the_messages_hours_it_refuses(services, shoppers, fake_line):
    services.clock = lambda: T0 + 11 * 3600  # 21:00
    with pytest.raises(CampaignError, match="opens at 2027-03-02 09:00"):
        campaigns.send(services, "late", NOTICE, Segment())
    assert fake_line.recorded(MULTICAST) == []


def test_an_id_used_for_another_notice_is_refused(services, shoppers):
    campaigns.send(services, "once", NOTICE, Segment(ranks=("gold",)))
    with pytest.raises(CampaignError, match="another notice"):
        campaigns.send(services, "once", [{"type": "text", "text": "別"}], Segment())


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("nope", "not JSON"),
        ("[]", "1 to 5 messages"),
        (json.dumps([{"type": "text", "text": "x"}] * 6), "1 to 5 messages"),
        (json.dumps({"type": "text", "text": "x" * 5001}), "at most 5000"),
        (json.dumps({"type": "sticker"}), "not one of"),
        (
            json.dumps(
                {
                    "type": "image",
                    "originalContentUrl": "http://x/a.png",
                    "previewImageUrl": "https://x/a.png",
                }
            ),
            "originalContentUrl",
        ),
        (json.dumps({"type": "flex", "altText": "", "contents": {"type": "bubble"}}), "altText"),
        (
            json.dumps(
                {
                    "type": "flex",
                    "altText": "a",
                    "contents": {
                        "type": "bubble",
                        "body": {
                            "type": "box",
                            "layout": "vertical",
                            "contents": [{"type": "text", "text": "x" * 31_000}],
                        },
                    },
                }
            ),
            "bytes of JSON",
        ),
    ],
)
def test_bad_notice_files_are_refused_naming_the_problem(document, problem):
    with pytest.raises(NoticeError) as raised:
        parse_notice(document)
    assert problem in str(raised.value)
