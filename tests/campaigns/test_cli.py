"""``flask --app wsgi notice send``: the dry run's figures, a send, refusals."""

from __future__ import annotations

import json

from tests.campaigns.test_notices import MULTICAST, NOTICE, T0
from tests.support.events import user_id


def _members(services, n: int) -> list:
    services.clock = lambda: T0
    return [services.store.register_member(user_id(), f"m{i}", "ja")[0] for i in range(n)]


def test_dry_run_then_send_then_rerun(app, services, fake_line, tmp_path):
    members = _members(services, 3)
    services.store.set_promotions(members[0].member_id, False)
    fake_line.set_monthly_quota(500)
    notice = tmp_path / "notice.json"
    notice.write_text(json.dumps(NOTICE), encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["notice", "send", str(notice), "--id", "c1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "members: 2 " in dry.output
    assert "requests: 1 multicasts" in dry.output
    assert "left out (promotions off): 1" in dry.output
    assert "0 of 500 used; this uses 2 (0.4 %)" in dry.output
    assert fake_line.recorded(MULTICAST) == []
    sent = runner.invoke(args=["notice", "send", str(notice), "--id", "c1"])
    assert sent.exit_code == 0, sent.output
    assert "sent to 2 members in 1 multicast" in sent.output
    again = runner.invoke(args=["notice", "send", str(notice), "--id", "c1"])
    assert "sent to 0 members" in again.output
    assert "2 members had it already" in again.output
    assert len(fake_line.recorded(MULTICAST)) == 1


def test_refusals_are_clear(app, services, tmp_path):
    _members(services, 1)
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "text"}', encoding="utf-8")
    result = runner.invoke(args=["notice", "send", str(bad)])
    assert result.exit_code != 0
    assert "needs a non-empty text" in result.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(NOTICE), encoding="utf-8")
    result = runner.invoke(args=["notice", "send", str(good), "--rank", "diamond"])
    assert result.exit_code != 0
    assert "'diamond' is not a rank" in result.output
    result = runner.invoke(args=["notice", "send", str(good), "--store", "S404"])
    assert "no store S404" in result.output
