"""``stats``: the figures of a hand-made day match what happened."""

from __future__ import annotations

import json

from bot.jobs.sweep import sweep
from bot.operations import campaigns, rewards, visits
from bot.operations.campaigns import Segment
from bot.operations.stats import figures
from tests.campaigns.test_notices import NOTICE, T0
from tests.support.events import user_id

DAY = 86400


def test_the_figures_match_a_hand_computed_day(app, client, services, card_code, fake_line):
    services.clock = lambda: T0
    key = services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    headers = {"Authorization": f"Bearer {key}"}
    a, b, c = (services.store.register_member(user_id(), n, "ja", now=T0)[0] for n in "abc")
    services.store.deactivate(c.line_user_id)

    def sale(member, txn, amount, used=0):
        body = {"transaction_id": txn, "card_code": card_code(member), "amount": amount,
                "points_used": used}  # fmt: skip
        assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201

    sale(a, "T1", 12_800)  # +128
    sale(b, "T2", 5_000)  # +50
    sale(b, "T3", 1_000, used=10)  # 990 paid in money: +9; the 10 came from T2's points
    assert client.post("/api/v1/transactions/T2/refund", headers=headers).status_code == 201
    ticket = rewards.exchange(services, a.member_id, "coffee", 50, "57a75000").ticket
    redeem = {"transaction_id": "U1", "ticket_code": ticket.code}
    assert client.post("/api/v1/tickets/redeem", json=redeem, headers=headers).status_code == 201
    visits.check_in(services, a.member_id, "S002", "code")  # the example program: +2
    services.clock = lambda: T0 + 60
    campaigns.send(services, "n1", NOTICE, Segment(store="S001"))  # a and b
    services.clock = lambda: T0 + 3600
    sale(a, "T4", 2_000)  # after the notice: +20

    found = figures(services, 7 * DAY)
    assert (found.members, found.new_members, found.blocked) == (3, 3, 1)
    assert found.active_members == 2
    expected = {
        "purchases": 4, "amount": 20_800, "earned": 128 + 50 + 9 + 20, "used": 10,
        "refunds": 1, "reversed": 49, "exchanged": 50, "tickets_issued": 1,  # 1 pt short
        "tickets_used": 1, "checkins": 1, "visit_points": 2,
    }  # fmt: skip
    assert {k: found.totals[k] for k in expected} == expected
    [notice] = found.notices
    assert (notice.campaign_id, notice.members, notice.bought_after) == ("n1", 2, 1)

    at_s002 = figures(services, 7 * DAY, "S002")
    assert (at_s002.totals["purchases"], at_s002.totals["checkins"]) == (0, 1)
    assert at_s002.active_members == 1

    result = app.test_cli_runner().invoke(args=["stats", "--since", "7d", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["purchases"] == 4
    assert document["members"]["blocked"] == 1
    table = app.test_cli_runner().invoke(args=["stats", "--store", "s001"])
    assert "purchases" in table.output
    assert "notice n1" in table.output


def test_reminders_count_and_the_points_then_spent_count_as_saved_once(
    client, services, card_code, fake_line
):
    services.clock = lambda: T0
    key = services.store.add_store("S001", "渋谷店")
    headers = {"Authorization": f"Bearer {key}"}
    member = services.store.register_member(user_id(), "a", "ja", now=T0)[0]
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 12_800}
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    [lot] = services.ledger.lots(member.member_id)  # 128 points
    remind = lot.expires_at - 30 * DAY
    services.clock = lambda: remind
    assert sweep(services, remind).reminders == 1
    # An admin taking points back saves nothing; the shopper spending them does, up to the
    # 128 the reminder named, however the spend is split.
    services.ledger.adjust(member_id=member.member_id, now=remind + 1, op_key="a1", amount=-8,
                           reason="correction")  # fmt: skip
    for txn, used in (("T2", 100), ("T3", 20)):
        body = {"transaction_id": txn, "card_code": card_code(member), "amount": 1_000,
                "points_used": used}  # fmt: skip
        assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    later = remind + 23 * DAY  # the 7-day reminder: nothing of that lot is left to name
    services.clock = lambda: later
    sweep(services, later)
    found = figures(services, 40 * DAY)
    assert (found.totals["reminders"], found.totals["saved"]) == (1, 120)
    table = client.application.test_cli_runner().invoke(args=["stats", "--since", "40d"])
    assert "expiry reminders sent" in table.output
