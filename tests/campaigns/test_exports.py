"""``export members|transactions``: CSV with a BOM, the expected rows, no LINE user ids."""

from __future__ import annotations

import csv

import pytest

from tests.campaigns.test_notices import T0
from tests.support.events import user_id

DAY = 86400


def _read(path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel in Japan reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_exports_open_as_csv_with_the_expected_rows(app, client, services, card_code, tmp_path):
    services.clock = lambda: T0 - 60 * DAY
    old, _ = services.store.register_member(user_id(), "old", "ja", now=T0 - 60 * DAY)
    key = services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    headers = {"Authorization": f"Bearer {key}"}

    def sale(member, txn, amount):
        body = {"transaction_id": txn, "card_code": card_code(member), "amount": amount}
        assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201

    sale(old, "OLD", 5000)  # 60 days ago: outside a 30-day export
    services.clock = lambda: T0
    new, _ = services.store.register_member(user_id(), "新人", "en", now=T0)
    sale(new, "T1", 1280)
    services.ledger.adjust(member_id=new.member_id, now=T0, op_key="a1", amount=-2,
                           reason="お詫び")  # fmt: skip
    runner = app.test_cli_runner()
    members_csv = tmp_path / "members.csv"
    result = runner.invoke(args=["export", "members", "--since", "30d", "--out", str(members_csv)])
    assert result.exit_code == 0, result.output
    assert "1 row written" in result.output
    [row] = _read(members_csv)
    assert (row["member_number"], row["language"], row["balance"]) == (new.number, "en", "10")
    assert row["joined"].endswith("+09:00")
    txns = tmp_path / "transactions.csv"
    result = runner.invoke(args=["export", "transactions", "--since", "30d", "--out", str(txns)])
    assert result.exit_code == 0, result.output
    rows = _read(txns)
    assert [(r["kind"], r["reference"], r["points"], r["amount"]) for r in rows] == [
        ("earn", "T1", "12", "1280"),
        ("adjust", "a1", "-2", ""),
    ]
    everything = members_csv.read_text(encoding="utf-8-sig") + txns.read_text("utf-8-sig")
    assert new.line_user_id not in everything
    assert old.line_user_id not in everything
    at_s002 = tmp_path / "s002.csv"
    runner.invoke(args=["export", "transactions", "--since", "90d", "--store", "s002",
                        "--out", str(at_s002)])  # fmt: skip
    assert _read(at_s002) == []
    year = tmp_path / "year.csv"
    runner.invoke(args=["export", "transactions", "--since", "90d", "--out", str(year)])
    assert {r["reference"] for r in _read(year)} == {"OLD", "T1", "a1"}


def test_a_bad_since_or_store_is_a_clear_error(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "x.csv"
    bad = runner.invoke(args=["export", "members", "--since", "yesterday", "--out", str(out)])
    assert bad.exit_code != 0
    assert "--since" in bad.output
    unknown = runner.invoke(args=["export", "members", "--since", "7d", "--store", "S404",
                                  "--out", str(out)])  # fmt: skip
    assert "no store S404" in unknown.output
    assert not out.exists()


def test_a_refund_today_of_an_old_sale_is_in_todays_export(app, client, services, card_code,
                                                           tmp_path):  # fmt: skip
    services.clock = lambda: T0 - 40 * DAY
    member, _ = services.store.register_member(user_id(), "m", "ja", now=T0 - 40 * DAY)
    key = services.store.add_store("S001", "渋谷店")
    headers = {"Authorization": f"Bearer {key}"}
    body = {"transaction_id": "OLD", "card_code": card_code(member), "amount": 10_000}
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    services.clock = lambda: T0
    assert client.post("/api/v1/transactions/OLD/refund", headers=headers).status_code == 201
    out = tmp_path / "week.csv"
    runner = app.test_cli_runner()
    runner.invoke(args=["export", "transactions", "--since", "7d", "--out", str(out)])
    assert [(r["kind"], r["reference"]) for r in _read(out)] == [("reverse", "OLD")]
    figures_s001 = runner.invoke(args=["stats", "--store", "S001", "--since", "7d", "--json"])
    assert '"refunds": 1' in figures_s001.output


@pytest.mark.single_redis
def test_members_from_before_the_indexes_are_found_once(app, services, redis_client):
    from bot.operations import campaigns
    from bot.operations.campaigns import Segment
    from bot.store import keys

    members = [services.store.register_member(user_id(), "m", "en")[0] for _ in range(3)]
    redis_client.delete(keys.members_index(), keys.language_index("en"))  # as before them
    assert services.store.index_older_members() == 3
    assert services.store.index_older_members() == 0  # once
    found = campaigns.resolve(services, Segment(language="en"), T0).member_ids
    assert sorted(found) == sorted(m.member_id for m in members)
