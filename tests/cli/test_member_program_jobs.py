"""flask member show/adjust, program check, jobs expiry; the daily sweep's cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import create_app
from bot.cli.jobs import _summary
from bot.config import DEFAULT_PROGRAM, SettingsError
from bot.domain.program import load_program
from bot.jobs.sweep import SweepReport, sweep
from bot.operations import rewards
from bot.store import keys
from bot.store.ledger import Ledger
from tests.support.events import user_id
from tests.support.keyspace import every_key

T0 = 1_800_000_000


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def member(services):
    services.clock = lambda: T0
    member, _ = services.store.register_member(user_id(), "Hanako", "ja")
    return member


def test_adjust_then_show(runner, member):
    result = runner.invoke(
        args=["member", "adjust", member.number, "--points", "120", "--reason", "お詫び"]
    )
    assert result.exit_code == 0, result.output
    assert "balance 120 pt" in result.output
    shown = runner.invoke(args=["member", "show", member.number])
    assert "Balance:       120 pt" in shown.output
    assert "Rank:          regular (Regular)" in shown.output
    assert "adjustment" in shown.output
    assert "reason お詫び" in shown.output


def test_adjust_below_zero_is_refused_and_changes_nothing(runner, member, services):
    result = runner.invoke(
        args=["member", "adjust", member.number, "--points", "-1", "--reason", "x"]
    )
    assert result.exit_code != 0
    assert "below zero" in result.output
    assert services.ledger.history(member.member_id) == []


def test_adjust_with_key_is_idempotent(runner, member, services):
    args = ["member", "adjust", member.number, "--points", "50", "--reason", "r", "--key", "k1"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert "already applied" in again.output
    assert services.ledger.maintain(member.member_id, T0).balance == 50
    other = runner.invoke(args=[*args[:3], "--points", "60", "--reason", "r", "--key", "k1"])
    assert other.exit_code != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["member", "adjust", "123", "--points", "1", "--reason", "x"], "NUMBER"),
        (["member", "adjust", "2900000000001", "--points", "1", "--reason", "x"], "no member"),
        (["member", "adjust", "{number}", "--points", "0", "--reason", "x"], "--points"),
        (["member", "adjust", "{number}", "--points", "1", "--reason", " "], "--reason"),
        (["member", "adjust", "{number}", "--points", "1"], "--reason"),
        (["member", "adjust", "{number}", "--points", "x", "--reason", "r"], "--points"),
        (["member", "show", "2900000000001"], "no member"),
    ],
)
def test_member_bad_input(runner, member, args, message):
    result = runner.invoke(args=[a.format(number=member.number) for a in args])
    assert result.exit_code != 0
    assert message in result.output


def test_program_check(runner, tmp_path: Path):
    assert "ok" in runner.invoke(args=["program", "check"]).output
    bad = tmp_path / "p.toml"
    bad.write_text('[program]\nname = "x"\n[earn]\nper_yen = 0\n')
    result = runner.invoke(args=["program", "check", str(bad)])
    assert result.exit_code == 1
    assert "earn.per_yen = 0" in result.output


def test_program_check_refuses_typos_that_would_run_on_defaults(runner, tmp_path: Path):
    typo = tmp_path / "p.toml"
    typo.write_text('[program]\nname = "x"\n[points]\nlife_time = "90d"\n[earning]\nper_jpy = 2\n')
    result = runner.invoke(args=["program", "check", str(typo)])
    assert result.exit_code == 1
    assert "unknown key 'points.life_time': did you mean 'points.lifetime'?" in result.output
    assert "unknown section 'earning': did you mean 'earn'?" in result.output
    assert ": ok" not in result.output


def test_program_check_prints_the_effective_program(runner, tmp_path: Path):
    program = tmp_path / "p.toml"
    program.write_text(
        '[program]\nname = "店"\n[points]\nlifetime = "90d"\n[reminders]\noffsets = ["7d"]\n'
        'quiet_hours = "off"\n[card]\ncode_mode = "static"\nstore_name_en = "Shop"\n'
    )
    output = runner.invoke(args=["program", "check", str(program)]).output
    for line in (
        "points: each grant lives 90 days",
        "history: kept 24 months in Redis, older entries archived by the daily sweep",
        "reminders: 7 days before points expire; daily sweep at 10:00",
        "quiet hours: off",
        "card code: static",
        "in English 'Shop'",
        "earn: 1 pt per 100 JPY of the part paid in money, rounded down (floor)",  # a default
        "rank regular (レギュラー / Regular, #9E9E9E): from 0 JPY, earns x1",
        "rewards: none",
    ):
        assert line in output, output


def test_program_check_prints_the_bundled_programs_ranks_rewards_and_goals(runner):
    output = runner.invoke(args=["program", "check"]).output
    assert "rank silver (シルバー / Silver, #A8A9AD): from 30,000 JPY, earns x1.5" in output
    assert "reward eco-bag (オリジナルエコバッグ / Our eco bag): 200 pt" in output
    assert "goal: a gold-welcome ticket at rank gold" in output
    assert "quiet hours: 21:00-09:00" in output
    if hasattr(bundled := load_program(DEFAULT_PROGRAM), "visits"):
        assert f"visits: {bundled.visits.points} pt per check-in" in output


def test_jobs_expiry_dry_run_then_real(runner, member, services):
    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=30, reason="r")
    services.clock = lambda: T0 + 400 * 86400
    dry = runner.invoke(args=["jobs", "expiry", "--dry-run"])
    assert dry.output == (
        "Dry run, nothing changed: would check 1 member with points due; would expire 30 points "
        "in 1 lot; would queue 1 expiry notice and 0 reminders of points expiring soon.\n"
    )
    assert services.ledger.lots(member.member_id)  # untouched
    real = runner.invoke(args=["jobs", "expiry"])
    assert real.output == (
        "Sweep done: checked 1 member with points due; expired 30 points in 1 lot; "
        "queued 1 expiry notice and 0 reminders of points expiring soon.\n"
    )
    assert services.ledger.lots(member.member_id) == []
    assert runner.invoke(args=["jobs", "expiry"]).output == (
        "Sweep done: no points due to expire; "
        "queued 0 expiry notices and 0 reminders of points expiring soon.\n"
    )


def test_sweep_touches_only_members_with_something_due(services, monkeypatch):
    ids = []
    for i in range(60):
        member, _ = services.store.register_member(user_id(), "x", "ja")
        # Ten members got points long ago; fifty got them recently.
        at = T0 if i < 10 else T0 + 300 * 86400
        services.ledger.adjust(member_id=member.member_id, now=at, op_key="a", amount=5, reason="r")
        ids.append(member.member_id)
    calls: list[str] = []
    real = Ledger.maintain
    monkeypatch.setattr(
        Ledger, "maintain", lambda self, m, now: calls.append(m) or real(self, m, now)
    )
    report = sweep(services, T0 + 400 * 86400)
    assert sorted(calls) == sorted(ids[:10])
    assert (report.members, report.points_expired) == (10, 50)
    calls.clear()
    assert sweep(services, T0 + 400 * 86400).members == 0
    assert calls == []


def test_app_refuses_a_redis_that_can_evict(settings, redis_client):
    redis_client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with pytest.raises(SettingsError) as caught:
            create_app({"TESTING": True, "SETTINGS": settings})
    finally:
        redis_client.config_set("maxmemory-policy", "noeviction")
    assert caught.value.problems[0].startswith("REDIS_URL: Redis maxmemory-policy is 'allkeys-lru'")


@pytest.mark.parametrize("points", ["100000001", "-100000001", "100000000000000"])
def test_adjust_is_bounded(runner, member, points):
    result = runner.invoke(
        args=["member", "adjust", member.number, "--points", points, "--reason", "x"]
    )
    assert result.exit_code != 0
    assert "--points" in result.output


def test_largest_adjustment_round_trips(runner, member, services):
    args = ["member", "adjust", member.number, "--points", "100000000", "--reason", "x"]
    assert runner.invoke(args=args).exit_code == 0
    assert services.ledger.lots(member.member_id)[0].remaining == 100_000_000
    shown = runner.invoke(args=["member", "show", member.number]).output
    assert "Balance:       100,000,000 pt" in shown


def test_export_prints_everything_kept_about_a_member(runner, member, services):
    import json

    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=70, reason="r")
    result = runner.invoke(args=["member", "export", member.number])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["member_number"] == member.number
    assert document["balance"] == 70
    assert [e["kind"] for e in document["history"]] == ["adjust"]
    assert member.line_user_id not in result.output  # not needed to describe the membership


def test_export_lists_the_tickets_without_their_codes(runner, member, services):
    import json

    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=70, reason="r")
    services.clock = lambda: T0
    ticket = rewards.exchange(services, member.member_id, "coffee", 50, "e0e0e0e0").ticket
    document = json.loads(runner.invoke(args=["member", "export", member.number]).output)
    [listed] = document["tickets"]
    assert (listed["reward"], listed["state"], listed["source"]) == ("coffee", "active", "exchange")
    assert ticket.code not in json.dumps(document)
    assert [e["kind"] for e in document["history"]] == ["adjust", "exchange"]


def test_delete_forgets_the_member_and_the_card_stops_working(
    runner, member, services, redis_client
):
    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=70, reason="r")
    services.clock = lambda: T0
    rewards.exchange(services, member.member_id, "coffee", 50, "d0d0d0d0")
    assert runner.invoke(args=["member", "delete", member.number], input="n\n").exit_code != 0
    assert services.store.member(member.member_id) is not None  # declined: nothing deleted
    result = runner.invoke(args=["member", "delete", member.number, "--yes"])
    assert result.exit_code == 0, result.output
    assert services.store.member(member.member_id) is None
    assert services.store.member_id_by_number(member.number) is None
    left = [k for k in every_key(redis_client) if member.member_id in k]
    assert left == []
    assert redis_client.zcard(keys.ticket_due_index(keys.shard(member.member_id))) == 0
    assert "no member" in runner.invoke(args=["member", "show", member.number]).output


def _spaced(number: str) -> str:
    """A member number as the card prints it."""
    return f"{number[0]} {number[1:7]} {number[7:]}"


def _full_width(typed: str) -> str:
    """As a Japanese input method types it: full-width digits, ideographic spaces."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else "\u3000" for c in typed)


@pytest.mark.parametrize(
    "typed",
    [
        _spaced,
        lambda n: f"{n[:4]}-{n[4:8]}-{n[8:]}",
        lambda n: f" {n} ",
        lambda n: _full_width(_spaced(n)),
        lambda n: f"{n[:4]}ー{n[4:]}",  # a Japanese keyboard's '-'
    ],
    ids=["card", "hyphens", "padded", "full-width", "long-vowel-mark"],
)
def test_member_commands_take_the_number_as_printed(runner, member, services, typed):
    number = typed(member.number)
    shown = runner.invoke(args=["member", "show", number])
    assert shown.exit_code == 0, shown.output
    assert f"Member number: {_spaced(member.number)}  ({member.number})" in shown.output
    args = ["member", "adjust", number, "--points", "5", "--reason", "x", "--key", "k"]
    assert runner.invoke(args=args).exit_code == 0
    assert services.ledger.maintain(member.member_id, T0).balance == 5
    assert runner.invoke(args=["member", "export", number]).exit_code == 0


@pytest.mark.parametrize("typed", ["2 912345 67890", "29123456789012", "2912345678900x", "", "--"])
def test_member_numbers_that_are_not_one_are_refused(runner, member, typed):
    result = runner.invoke(args=["member", "show", "--", typed])
    assert result.exit_code != 0
    assert "NUMBER" in result.output
    assert "spaces and hyphens are fine" in result.output


def test_member_show_reads_as_labelled_fields_in_local_time(runner, member, services, client):
    key = services.store.add_store("S001", "渋谷店")
    code = services.card_codes.current(member, T0).value
    sale = client.post(
        "/api/v1/transactions",
        json={"transaction_id": "R-1", "card_code": code, "amount": 1280},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert sale.status_code == 201, sale.json
    services.ledger.adjust(
        member_id=member.member_id, now=T0 + 60, op_key="a:1", amount=-2, reason="お詫び"
    )
    result = runner.invoke(args=["member", "show", member.number])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:7] == [
        f"Member number: {_spaced(member.number)}  ({member.number})",
        "Display name:  Hanako",
        "Language:      ja",
        "Status:        active (a friend of the account); reminders on",
        "Balance:       10 pt",
        "Rank:          regular (Regular), 1,280 JPY spent in the rank window; "
        "silver from 30,000 JPY",
        "Lots:          1 live lot, soonest first",
    ]
    # T0 is 2027-01-15 08:00 UTC; a 12-month lot lives to the end of January 2028, Tokyo time.
    assert lines[7] == "  10 of 12 pt, expires 2028-02-01 00:00:00 JST"
    assert lines[8] == "History:       latest 2 entries, newest first"
    assert lines[9].startswith("  2027-01-15 17:01:00 JST  adjustment")
    assert "-2 pt  balance 10 pt  reason お詫び" in lines[9]
    assert lines[10].startswith("  2027-01-15 17:00:00 JST  purchase")
    assert "+12 pt  balance 12 pt  store S001 (渋谷店)  ref R-1" in lines[10]
    assert "lot expires 2028-02-01 00:00:00 JST" in lines[10]
    assert "UTC" not in result.output


def test_member_show_follows_the_program_time_zone(runner, member, services):
    import dataclasses
    from zoneinfo import ZoneInfo

    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=1, reason="r")
    program = dataclasses.replace(services.settings.program, timezone=ZoneInfo("Europe/London"))
    services.settings = dataclasses.replace(services.settings, program=program)
    shown = runner.invoke(args=["member", "show", member.number]).output
    assert "  2027-01-15 08:00:00 GMT  adjustment" in shown


def test_export_times_carry_the_program_time_zone(runner, member, services):
    import json

    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=7, reason="r")
    document = json.loads(runner.invoke(args=["member", "export", member.number]).output)
    assert document["history"][0]["at"] == "2027-01-15T17:00:00+09:00"
    assert document["lots"][0]["expires"] == "2028-02-01T00:00:00+09:00"
    sweep(services, T0 + 400 * 86400)  # the lot expires: its entry names the expiry it had
    document = json.loads(runner.invoke(args=["member", "export", member.number]).output)
    assert document["history"][1]["kind"] == "expire"
    assert document["history"][1]["x"] == "2028-02-01T00:00:00+09:00"


def test_jobs_expiry_counts_reminders_apart_from_what_expired(runner, member, services):
    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=30, reason="r")
    [lot] = services.ledger.lots(member.member_id)
    # Within the 30-day reminder's window: a reminder, nothing expired yet.
    services.clock = lambda: lot.expires_at - 30 * 86400 + 3600
    result = runner.invoke(args=["jobs", "expiry"])
    assert result.output == (
        "Sweep done: no points due to expire; "
        "queued 0 expiry notices and 1 reminder of points expiring soon.\n"
    )


@pytest.mark.parametrize(
    ("report", "dry_run", "line"),
    [
        (
            SweepReport(0, 0, 0, 0, 1),
            False,
            "Sweep done: no points due to expire; "
            "queued 0 expiry notices and 1 reminder of points expiring soon.",
        ),
        (
            SweepReport(2, 0, 0, 0, 0),
            False,
            "Sweep done: checked 2 members with points due; expired no points; "
            "queued 0 expiry notices and 0 reminders of points expiring soon.",
        ),
        (
            SweepReport(3, 4, 1200, 3, 2),
            False,
            "Sweep done: checked 3 members with points due; expired 1,200 points in 4 lots; "
            "queued 3 expiry notices and 2 reminders of points expiring soon.",
        ),
        (
            SweepReport(1, 1, 1, 1, 1),
            True,
            "Dry run, nothing changed: would check 1 member with points due; would expire "
            "1 point in 1 lot; would queue 1 expiry notice and 1 reminder of points expiring soon.",
        ),
        (
            SweepReport(0, 0, 0, 0, 0, tickets_expired=2, ticket_reminders=1),
            False,
            "Sweep done: no points due to expire; queued 0 expiry notices and 0 reminders of "
            "points expiring soon; expired 2 unused tickets and queued 1 ticket reminder.",
        ),
    ],
)
def test_jobs_expiry_summary_says_what_it_counted(report, dry_run, line):
    assert _summary(report, dry_run) == line


def test_jobs_quota_time_is_in_the_program_time_zone(runner, services):
    services.quota.mark_reached(T0, T0 + 86400 * 30)
    assert "reached at 2027-01-15 17:00:00 JST" in runner.invoke(args=["jobs", "quota"]).output
