"""flask member show/adjust, program check, jobs expiry; the daily sweep's cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import create_app
from bot.config import SettingsError
from bot.jobs.sweep import sweep
from bot.operations import rewards
from bot.store import keys
from bot.store.ledger import Ledger
from tests.support.events import user_id

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
    assert "balance 120 pt, rank regular" in shown.output
    assert "adjust" in shown.output
    assert "r=お詫び" in shown.output


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


def test_jobs_expiry_dry_run_then_real(runner, member, services):
    services.ledger.adjust(member_id=member.member_id, now=T0, op_key="a", amount=30, reason="r")
    services.clock = lambda: T0 + 400 * 86400
    dry = runner.invoke(args=["jobs", "expiry", "--dry-run"])
    assert "would expire 30 points in 1 lots" in dry.output
    assert services.ledger.lots(member.member_id)  # untouched
    real = runner.invoke(args=["jobs", "expiry"])
    assert "expired 30 points in 1 lots" in real.output
    assert services.ledger.lots(member.member_id) == []
    assert "expired 0 points" in runner.invoke(args=["jobs", "expiry"]).output


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
    assert "balance 100000000 pt" in runner.invoke(args=["member", "show", member.number]).output


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
    left = [k for k in redis_client.scan_iter(match="*") if member.member_id in k]
    assert left == []
    assert redis_client.zcard(keys.ticket_due_index()) == 0
    assert "no member" in runner.invoke(args=["member", "show", member.number]).output
