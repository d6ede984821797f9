"""flask staff add / remove / list, and the staff registry behind them."""

from __future__ import annotations

import io

import pytest
from linebot.v3.messaging import RichMenuRequest
from PIL import Image

from bot.line.rich_menus import STAFF_MENU_ALIAS
from bot.log import user_ref
from bot.services import Services
from bot.store.staff import StaffRegistry
from richmenu.line_ops import RichMenuApi
from sandbox.fake_line import FakeLine
from tests.support.keyspace import every_key

USER = "U" + "a" * 32
OTHER = "U" + "b" * 32


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def stores(services: Services) -> None:
    services.store.add_store("S001", "Shibuya")
    services.store.add_store("S002", "Ikebukuro")


def _deploy_staff_menu(services: Services) -> str:
    """A staff menu on the fake, as `python -m richmenu deploy` leaves it."""
    api = RichMenuApi(services.line.api)
    request = RichMenuRequest.from_dict(
        {
            "size": {"width": 2500, "height": 843},
            "selected": True,
            "name": "loyalty:staff-main:0123456789ab",
            "chatBarText": "スタッフ",
            "areas": [
                {
                    "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                    "action": {"type": "postback", "data": "action=staff_scan"},
                }
            ],
        }
    )
    menu_id = api.create(request)
    png = io.BytesIO()
    Image.new("RGB", (2500, 843), "white").save(png, "PNG")
    api.upload_png(menu_id, png.getvalue())
    api.point_alias(STAFF_MENU_ALIAS, menu_id, exists=False)
    return menu_id


@pytest.mark.usefixtures("stores")
def test_add_links_the_deployed_staff_menu(runner, services, fake_line: FakeLine) -> None:
    menu_id = _deploy_staff_menu(services)

    result = runner.invoke(args=["staff", "add", USER, "--store", "S001"])

    assert result.exit_code == 0, result.output
    assert f"Staff {user_ref(USER)} registered at store S001." in result.output
    assert f"Staff rich menu {menu_id} linked." in result.output
    assert USER not in result.output
    assert fake_line.user_rich_menus() == {USER: menu_id}
    assert fake_line.recorded(f"/v2/bot/user/{USER}/richmenu/{menu_id}")[0].status == 200
    assert StaffRegistry(services.store.redis).is_staff(USER) == "S001"


@pytest.mark.usefixtures("stores")
def test_add_before_any_deploy_registers_and_says_so(runner, services, fake_line) -> None:
    result = runner.invoke(args=["staff", "add", USER, "--store", "S001"])

    assert result.exit_code == 0, result.output
    assert "No staff rich menu is deployed yet" in result.output
    assert fake_line.user_rich_menus() == {}
    assert StaffRegistry(services.store.redis).is_staff(USER) == "S001"


@pytest.mark.usefixtures("stores")
def test_remove_unlinks_and_forgets(runner, services, fake_line: FakeLine) -> None:
    _deploy_staff_menu(services)
    runner.invoke(args=["staff", "add", USER, "--store", "S001"])

    result = runner.invoke(args=["staff", "remove", USER])

    assert result.exit_code == 0, result.output
    assert f"Staff {user_ref(USER)} removed from store S001" in result.output
    assert fake_line.user_rich_menus() == {}
    assert [r.method for r in fake_line.recorded(f"/v2/bot/user/{USER}/richmenu")][-1] == "DELETE"
    assert StaffRegistry(services.store.redis).is_staff(USER) is None
    again = runner.invoke(args=["staff", "remove", USER])
    assert again.exit_code != 0
    assert "is not registered as staff" in again.output


@pytest.mark.usefixtures("stores")
def test_line_failure_is_reported_and_the_command_can_be_rerun(
    runner, services, fake_line: FakeLine
) -> None:
    menu_id = _deploy_staff_menu(services)
    fake_line.fail_next(f"/v2/bot/user/{USER}/richmenu/{menu_id}", 500)

    failed = runner.invoke(args=["staff", "add", USER, "--store", "S001"])

    assert failed.exit_code != 0
    assert "could not link the staff menu: HTTP 500" in failed.output
    assert "the staff member is registered. Run the command again." in failed.output
    assert runner.invoke(args=["staff", "add", USER, "--store", "S001"]).exit_code == 0
    assert fake_line.user_rich_menus() == {USER: menu_id}

    fake_line.fail_next(f"/v2/bot/user/{USER}/richmenu", 500)
    failed = runner.invoke(args=["staff", "remove", USER])
    assert "could not unlink the staff menu: HTTP 500" in failed.output
    assert StaffRegistry(services.store.redis).is_staff(USER) == "S001"  # nothing changed


@pytest.mark.usefixtures("stores")
def test_list_shows_user_ids_by_store(runner) -> None:
    runner.invoke(args=["staff", "add", USER, "--store", "S002"])
    runner.invoke(args=["staff", "add", OTHER, "--store", "S001"])

    everyone = runner.invoke(args=["staff", "list"]).output.splitlines()
    shibuya = runner.invoke(args=["staff", "list", "--store", "S001"]).output.splitlines()

    assert [line.split()[:2] for line in everyone] == [[OTHER, "S001"], [USER, "S002"]]
    assert [line.split()[0] for line in shibuya] == [OTHER]
    assert runner.invoke(args=["staff", "list", "--store", "s002"]).output.split()[:2] == [
        USER,
        "S002",
    ]
    unknown = runner.invoke(args=["staff", "list", "--store", "S009"])
    assert unknown.exit_code != 0
    assert "no store S009" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staff", "add", "u" + "a" * 32, "--store", "S001"], "must be a LINE user id"),
        (["staff", "add", USER[:-1], "--store", "S001"], "LINE_USER_ID"),
        (["staff", "add", USER, "--store", "S404"], "no store S404; see 'store list'"),
        (["staff", "add", USER, "--store", "S 1"], "--store"),
        (["staff", "list", "--store", "S 1"], "--store"),
        (["staff", "add", USER], "--store"),
        (["staff", "remove", "@shop"], "must be a LINE user id"),
    ],
)
@pytest.mark.usefixtures("stores")
def test_bad_input_gets_a_clear_error(runner, args, message) -> None:
    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert message in result.output


def test_every_command_has_help(runner) -> None:
    commands = ("add", "invite", "remove", "list")
    for args in (["staff", "--help"], *(["staff", c, "--help"] for c in commands)):
        result = runner.invoke(args=args)
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_registry_keeps_no_raw_user_id_in_key_names(redis_client) -> None:
    registry = StaffRegistry(redis_client)

    assert registry.add(USER, "S001") is True
    assert registry.add(USER, "S002") is False  # moved, not duplicated
    assert registry.is_staff(USER) == "S002"
    assert [m.line_user_id for m in registry.list()] == [USER]
    assert all(USER not in key for key in every_key(redis_client, "*"))
    assert registry.remove(USER) is True
    assert registry.remove(USER) is False
    assert registry.list() == []
    assert every_key(redis_client, "*") == []


@pytest.mark.usefixtures("stores")
def test_adding_staff_of_another_store_says_so_and_moves_only_when_asked(runner, services) -> None:
    runner.invoke(args=["staff", "add", USER, "--store", "S001"])

    refused = runner.invoke(args=["staff", "add", USER, "--store", "S002"])
    assert refused.exit_code == 1
    assert "is already staff of store S001" in refused.output
    assert "Add --move to move them to S002" in refused.output
    assert services.staff.is_staff(USER) == "S001"

    moved = runner.invoke(args=["staff", "add", USER, "--store", "S002", "--move"])
    assert moved.exit_code == 0, moved.output
    assert f"Staff {user_ref(USER)} moved from store S001 to store S002." in moved.output
    assert services.staff.is_staff(USER) == "S002"

    again = runner.invoke(args=["staff", "add", USER, "--store", "S002"])
    assert again.exit_code == 0
    assert "is already registered at store S002" in again.output


@pytest.mark.usefixtures("stores")
def test_add_takes_the_store_id_in_any_case(runner, services) -> None:
    result = runner.invoke(args=["staff", "add", USER, "--store", "s002"])

    assert result.exit_code == 0, result.output
    assert "registered at store S002." in result.output
    assert StaffRegistry(services.store.redis).is_staff(USER) == "S002"


@pytest.mark.usefixtures("stores")
def test_list_shows_when_in_the_program_time_zone(runner, services) -> None:
    import dataclasses
    from zoneinfo import ZoneInfo

    runner.invoke(args=["staff", "add", USER, "--store", "S001"])
    added = StaffRegistry(services.store.redis).list()[0].added_at
    tokyo = added.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"added {tokyo:%Y-%m-%d %H:%M:%S} JST" in runner.invoke(args=["staff", "list"]).output

    program = dataclasses.replace(services.settings.program, timezone=ZoneInfo("Europe/London"))
    services.settings = dataclasses.replace(services.settings, program=program)
    london = added.astimezone(ZoneInfo("Europe/London"))
    listing = runner.invoke(args=["staff", "list"]).output
    assert f"added {london:%Y-%m-%d %H:%M:%S} {london:%Z}" in listing
