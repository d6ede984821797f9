"""Staff onboarding without user ids: ``staff invite`` prints a one-time code, the new staff
member sends it to the bot and is registered, with the staff menu; the code expires and works
once, also when several people send it at once; staff of another store are not moved unless
the code says so."""

from __future__ import annotations

import re
import threading

import pytest

from bot.domain.staff_invites import invite_code_in
from bot.handlers import staff_invites
from bot.handlers.base import Context
from bot.store import keys
from bot.store.staff import StaffRegistry
from tests.cli.test_staff_commands import _deploy_staff_menu
from tests.support import events
from tests.support.keyspace import every_key

CODE = re.compile(r"STAFF-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def invite(runner, store_key):
    """Run `staff invite` and return the code it printed."""

    def make(*options: str, store: str = "S001") -> str:
        result = runner.invoke(args=["staff", "invite", "--store", store, *options])
        assert result.exit_code == 0, result.output
        [code] = CODE.findall(result.output)
        return code

    return make


def test_the_invite_command_prints_a_code_once_and_keeps_only_its_hash(runner, store_key, services):
    result = runner.invoke(args=["staff", "invite", "--store", "s001"])
    assert result.exit_code == 0, result.output
    [code] = CODE.findall(result.output)
    assert "Staff invite for store S001 (Shibuya)" in result.output
    assert "Valid until" in result.output
    assert "JST" in result.output
    assert not any(code in key for key in every_key(services.store.redis, "*"))
    assert not any(code in (services.store.redis.get(k) or "") for k in
                   every_key(services.store.redis, keys.staff_invite("*")))  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "S404"], "no store S404"),
        (["--store", "S001", "--valid", "5m"], "from 10m to 7d"),
        (["--store", "S001", "--valid", "1mo"], "from 10m to 7d"),
        (["--store", "S001", "--valid", "soon"], "a positive duration"),
    ],
)
def test_bad_invite_options_are_clear(runner, store_key, args, message):
    result = runner.invoke(args=["staff", "invite", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_sending_the_code_registers_staff_and_links_the_staff_menu(
    invite, say, services, fake_line
):
    menu_id = _deploy_staff_menu(services)
    code = invite()
    user = events.user_id()
    reply = say(events.text(user, code.lower().replace("-", " ")))[0]["text"]
    assert "Shibuya（S001）のスタッフとして登録しました" in reply
    assert "スタッフ用メニューに切り替わります" in reply
    assert services.staff.is_staff(user) == "S001"
    assert fake_line.user_rich_menus() == {user: menu_id}
    # They are staff now: the staff conversation answers them.
    assert "撮影" in say(events.postback(user, "action=staff_scan"))[0]["text"]


def test_a_code_works_once(invite, say, services):
    code = invite()
    first, second = events.user_id(), events.user_id()
    assert "登録しました" in say(events.text(first, code))[0]["text"]
    assert "この招待コードは使えません" in say(events.text(second, code))[0]["text"]
    assert services.staff.is_staff(second) is None


def test_a_code_expires(invite, say, services):
    code = invite("--valid", "10m")
    services.store.redis.delete(
        *every_key(services.store.redis, keys.staff_invite("*"))
    )  # as at 10m
    user = events.user_id()
    assert "この招待コードは使えません" in say(events.text(user, code))[0]["text"]
    assert services.staff.is_staff(user) is None
    fresh = invite("--valid", "10m")
    [key] = every_key(services.store.redis, keys.staff_invite("*"))
    assert 0 < services.store.redis.ttl(key) <= 600
    assert fresh != code


def test_concurrent_uses_of_one_code_register_one_person(invite, services):
    code = invite()
    users = [events.user_id() for _ in range(8)]
    start = threading.Barrier(len(users))
    replies: dict[str, str] = {}

    def send(user: str) -> None:
        start.wait()
        ctx = Context(services, user, None, text=code)
        replies[user] = staff_invites.accept_invite(ctx)[0]["text"]

    threads = [threading.Thread(target=send, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    registered = [user for user in users if services.staff.is_staff(user)]
    assert len(registered) == 1
    assert "登録しました" in replies[registered[0]]
    assert sum("使えません" in reply for reply in replies.values()) == len(users) - 1


def test_staff_of_another_store_are_told_and_not_moved(invite, say, services, staff_user):
    services.store.add_store("S002", "Ikebukuro")
    code = invite(store="S002")
    reply = say(events.text(staff_user, code))[0]["text"]
    assert "すでにShibuya（S001）のスタッフです" in reply
    assert "--move" in reply
    assert services.staff.is_staff(staff_user) == "S001"
    # The code was not used up: the right person can still use it.
    newcomer = events.user_id()
    assert (
        "Ikebukuro（S002）のスタッフとして登録しました"
        in say(events.text(newcomer, code))[0]["text"]
    )


def test_a_moving_invite_moves_and_says_so(invite, say, services, staff_user):
    services.store.add_store("S002", "Ikebukuro")
    code = invite("--move", store="S002")
    reply = say(events.text(staff_user, code))[0]["text"]
    assert "Shibuyaからの異動で、Ikebukuro（S002）のスタッフになりました" in reply
    assert services.staff.is_staff(staff_user) == "S002"


def test_staff_of_the_same_store_keep_the_code_unused(invite, say, services, staff_user):
    code = invite()
    assert "すでにShibuya（S001）のスタッフです" in say(events.text(staff_user, code))[0]["text"]
    assert services.staff.peek_invite(code) is not None


def test_wrong_codes_are_limited_per_user(invite, say, services):
    code = invite()
    guesser = events.user_id()
    for _ in range(staff_invites.MAX_FAILURES):
        assert "使えません" in say(events.text(guesser, "STAFF-2222-2222"))[0]["text"]
    # Even the right code is no longer looked up for this user within the hour.
    assert "使えません" in say(events.text(guesser, code))[0]["text"]
    assert services.staff.is_staff(guesser) is None
    assert services.staff.peek_invite(code) is not None


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("STAFF-7K3M-Q9PX", "STAFF-7K3M-Q9PX"),
        ("staff 7k3m q9px", "STAFF-7K3M-Q9PX"),
        ("ＳＴＡＦＦ－７Ｋ３Ｍ－Ｑ９ＰＸ", "STAFF-7K3M-Q9PX"),
        ("STAFF7K3MQ9PX", "STAFF-7K3M-Q9PX"),
        ("STAFF-7K3M-Q9P", None),
        ("STAFF-7K3M-Q9PO", None),  # O is not in the alphabet (read as 0)
        ("1280", None),
    ],
)
def test_invite_codes_are_read_as_typed(typed, found):
    assert invite_code_in(typed) == found


def test_registry_keeps_invites_apart_from_staff(services, store_key):
    registry = StaffRegistry(services.store.redis)
    code = registry.create_invite("S001", 600)
    assert registry.peek_invite(code).store_id == "S001"
    assert registry.take_invite(code).store_id == "S001"
    assert registry.take_invite(code) is None
    assert registry.list() == []
