"""History past ``points.history_retention``: archived by the daily sweep, kept in the export."""

from __future__ import annotations

import csv
import json
import time

import pytest

from bot.domain.durations import Duration
from bot.jobs import clock as clock_job
from bot.jobs.sweep import sweep
from bot.operations import history_archive
from bot.store import keys
from tests.support.events import user_id
from tests.support.moments import DAY, T0

#: Points live 40 days; history is kept 60.
PROGRAM = """
[program]
name = "テスト店"
timezone = "Asia/Tokyo"

[points]
lifetime = "40d"
history_retention = "60d"

[reminders]
offsets = []

[card]
code_mode = "static"
"""


@pytest.fixture
def program_text() -> str:
    return PROGRAM


@pytest.fixture
def shop(services, client, clock):
    """A store S001 and a ``sale(member, txn, amount)`` through the POS API."""
    key = services.store.add_store("S001", "渋谷店")

    def sale(member, txn: str, amount: int) -> dict:
        body = {"transaction_id": txn, "card_code": member.number, "amount": amount}
        headers = {"Authorization": f"Bearer {key}"}
        response = client.post("/api/v1/transactions", json=body, headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return sale


def _member(services):
    member, _ = services.store.register_member(user_id(), "Hanako", "ja", now=T0)
    return member


def _history(services, member) -> list[tuple[str, str, str]]:
    return [
        (e.entry_id, e.kind, e.fields.get("ref", ""))
        for e in services.ledger.history(member.member_id, count=100)
    ][::-1]


def _archive_lines(services) -> list[dict]:
    folder = services.settings.history_archive
    return [
        json.loads(line)
        for path in sorted(folder.glob("history-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def _export(app, tmp_path) -> list[dict[str, str]]:
    out = tmp_path / "transactions.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "transactions", "--since", "365d", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        return [(r["kind"], r["reference"], r["amount"]) for r in csv.DictReader(fh)]


def _bought_long_ago(services, shop, clock):
    """Three sales at T0, one at T0 + 30 days; the sweep after the first three expired."""
    member = _member(services)
    for txn, amount in (("A1", 1000), ("A2", 2000), ("A3", 3000)):
        shop(member, txn, amount)
    clock(T0 + 30 * DAY)
    shop(member, "B1", 500)
    clock(T0 + 41 * DAY)
    assert sweep(services, T0 + 41 * DAY).lots_expired == 3
    return member


def test_the_sweep_archives_only_entries_older_than_the_retention(
    app, services, shop, clock, tmp_path
):
    member = _bought_long_ago(services, shop, clock)
    before = _history(services, member)
    assert [kind for _, kind, _ in before] == ["earn"] * 4 + ["expire"] * 3
    # Nothing is 60 days old yet: kept.
    assert sweep(services, T0 + 41 * DAY).history_archived == 0
    lots = services.ledger.lots(member.member_id)
    balance = services.store.member(member.member_id).balance
    # The member has no lot due any more: the sweep visits them because it indexed them for
    # when their oldest entry passes the retention.
    clock(T0 + 61 * DAY)
    report = sweep(services, T0 + 61 * DAY)
    assert report.history_archived == 3
    assert _history(services, member) == before[3:]  # the same ids: 3, 4, ...
    assert services.ledger.lots(member.member_id) == lots
    assert services.store.member(member.member_id).balance == balance == 5
    archived = _archive_lines(services)
    assert [(a["m"], a["id"], a["e"]["ref"]) for a in archived] == [
        (member.member_id, 0, "A1"),
        (member.member_id, 1, "A2"),
        (member.member_id, 2, "A3"),
    ]
    assert "Hanako" not in json.dumps(archived)
    assert member.line_user_id not in json.dumps(archived)
    rows = _export(app, tmp_path)
    assert rows == [
        ("earn", "A1", "1000"),
        ("earn", "A2", "2000"),
        ("earn", "A3", "3000"),
        ("earn", "B1", "500"),
        ("expire", "A1", ""),
        ("expire", "A2", ""),
        ("expire", "A3", ""),
    ]
    # Again the same day: nothing more goes, nothing is archived twice.
    assert sweep(services, T0 + 61 * DAY).history_archived == 0
    assert len(_archive_lines(services)) == 3
    # Paging the history in LINE still ends at the oldest entry Redis holds.
    [oldest] = services.ledger.history(member.member_id, before="4", count=5)
    assert (oldest.entry_id, oldest.fields["ref"]) == ("3", "B1")
    assert services.ledger.history(member.member_id, before="3") == []


@pytest.mark.single_redis
def test_a_crash_between_archive_and_drop_archives_twice_and_exports_once(
    app, services, shop, clock, tmp_path, monkeypatch
):
    member = _bought_long_ago(services, shop, clock)
    other = _member(services)
    clock(T0 + 30 * DAY)
    shop(other, "C1", 700)
    clock(T0 + 41 * DAY)
    sweep(services, T0 + 41 * DAY)

    def crash(*args):
        raise ConnectionError("the process died")

    clock(T0 + 91 * DAY)
    with monkeypatch.context() as patched:
        patched.setattr(services.ledger, "drop_history", crash)
        with pytest.raises(ConnectionError):
            sweep(services, T0 + 91 * DAY)
    # Older than 60 days at T0 + 91: the four sales before T0 + 31 and C1 (the expiry
    # entries of T0 + 41 are not). Written and synced, then nothing dropped.
    assert len(_archive_lines(services)) == 5
    assert len(services.ledger.entries_from(member.member_id, 0)) == 8  # B1 expired now
    # While Redis holds them the export shows them once.
    assert len(_export(app, tmp_path)) == 10
    assert sweep(services, T0 + 91 * DAY).history_archived == 5
    assert len(_archive_lines(services)) == 10
    left = services.ledger.entries_from(member.member_id, 0)
    assert [(e.entry_id, e.kind) for e in left] == [(str(i), "expire") for i in range(4, 8)]
    rows = _export(app, tmp_path)
    assert sorted(rows) == sorted(
        [("earn", t, a) for t, a in (("A1", "1000"), ("A2", "2000"), ("A3", "3000"))]
        + [("earn", "B1", "500"), ("earn", "C1", "700")]
        + [("expire", t, "") for t in ("A1", "A2", "A3", "B1", "C1")]
    )


def test_a_dry_run_archives_nothing(services, shop, clock):
    member = _bought_long_ago(services, shop, clock)
    clock(T0 + 61 * DAY)
    assert sweep(services, T0 + 61 * DAY, dry_run=True).history_archived == 0
    assert len(services.ledger.entries_from(member.member_id, 0)) == 7
    assert _archive_lines(services) == []


def test_a_deleted_member_leaves_the_export_and_their_records_go(
    app, services, shop, clock, tmp_path
):
    member = _bought_long_ago(services, shop, clock)
    clock(T0 + 61 * DAY)
    sweep(services, T0 + 61 * DAY)
    record = keys.operation_record(member.member_id, keys.purchase_op("S001", "B1"))
    assert services.store.redis.exists(record)
    assert services.store.delete_member(member.member_id)
    assert not services.store.redis.exists(record)
    assert _export(app, tmp_path) == []


def test_the_next_sweep_removes_a_deleted_members_archived_lines_and_keeps_the_others(
    services, shop, clock
):
    gone, staying = _bought_long_ago(services, shop, clock), _member(services)
    shop(staying, "S1", 700)
    clock(T0 + 61 * DAY)
    sweep(services, T0 + 61 * DAY)
    archived = {line["m"] for line in _archive_lines(services)}
    assert archived == {gone.member_id}
    for day in (85, 110):  # the staying member's lot expires (day 81), then its sale is old
        clock(T0 + day * DAY)
        sweep(services, T0 + day * DAY)
    assert {line["m"] for line in _archive_lines(services)} == {gone.member_id, staying.member_id}
    assert services.store.delete_member(gone.member_id)  # or 退会 from the chat
    clock(T0 + 111 * DAY)
    sweep(services, T0 + 111 * DAY)
    lines = _archive_lines(services)
    assert {line["m"] for line in lines} == {staying.member_id}
    assert not services.store.redis.exists(keys.archive_forget())  # done: nothing left to do
    assert not list(services.settings.history_archive.glob("*.purge"))


def test_a_purge_never_rewrites_a_file_while_the_archive_is_held(services, shop, clock):
    member = _bought_long_ago(services, shop, clock)
    clock(T0 + 61 * DAY)
    sweep(services, T0 + 61 * DAY)
    assert services.store.delete_member(member.member_id)
    held = services.store.redis.lock(keys.archive_lock(), timeout=60)
    assert held.acquire(blocking=False)  # a trim elsewhere is appending
    try:
        assert history_archive.purge_deleted(services) == 0
        assert {line["m"] for line in _archive_lines(services)} == {member.member_id}
    finally:
        held.release()
    assert history_archive.purge_deleted(services) == 3  # the next sweep's turn
    assert _archive_lines(services) == []


def test_a_two_year_retention_cuts_by_calendar_months():
    march = 1_772_323_200  # 2026-03-01 00:00 UTC
    assert history_archive.cutoff(Duration(months=24), march) == 1_709_251_200  # 2024-03-01
    assert history_archive.cutoff(Duration(seconds=60), march) == march - 60


def test_the_archive_lock_of_a_killed_holder_runs_out_soon_and_a_trim_then_goes_on(
    services, shop, clock
):
    """A clock killed while appending to the archive leaves its lock: the next trim waits only
    until it runs out (a holder renews it while it works), not for a day's worth of time."""
    member = _bought_long_ago(services, shop, clock)
    dead = history_archive._archive_lock(services, wait=0)
    assert dead.acquire()  # and never released: its process was SIGKILLed
    ttl = services.store.redis.pttl(keys.archive_lock())
    assert 0 < ttl <= history_archive.ARCHIVE_LOCK_SECONDS * 1000
    assert history_archive.ARCHIVE_LOCK_SECONDS < clock_job.PART_LEASE  # a waiting clock keeps
    services.store.redis.pexpire(keys.archive_lock(), 1500)  # as it stands 8.5 s later
    clock(T0 + 61 * DAY)
    began = time.monotonic()
    assert sweep(services, T0 + 61 * DAY).history_archived == 3
    assert 1.0 < time.monotonic() - began < history_archive.ARCHIVE_WAIT_SECONDS
    assert {line["m"] for line in _archive_lines(services)} == {member.member_id}


def test_a_long_trim_keeps_the_archive_lock_renewed(services, shop, clock, monkeypatch):
    _bought_long_ago(services, shop, clock)
    monkeypatch.setattr(history_archive, "RENEW_EVERY", 0.0)
    renewed = []
    reacquire = history_archive.Lock.reacquire

    def counted(lock):
        renewed.append(lock.name)
        return reacquire(lock)

    monkeypatch.setattr(history_archive.Lock, "reacquire", counted)
    clock(T0 + 61 * DAY)
    assert sweep(services, T0 + 61 * DAY).history_archived == 3
    assert keys.archive_lock() in renewed
