"""deploy against the fake LINE platform: first, repeated, changed, interrupted and refused runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from linebot.v3.messaging import MessagingApi

from bot.line.rich_menus import STAFF_MENU_ALIAS
from bot.store.staff import StaffRegistry
from richmenu.build import DesiredMenu
from richmenu.deploy import DeployOptions, deploy
from richmenu.errors import RichMenuError
from richmenu.line_ops import RichMenuApi
from richmenu.plan import Plan
from sandbox.fake_line import FakeLine, RecordedRequest

CREATE = "/v2/bot/richmenu"
VALIDATE = "/v2/bot/richmenu/validate"
BULK_LINK = "/v2/bot/richmenu/bulk/link"
ALIASES = {"shopper-card": "loyalty-shopper-a", "shopper-rewards": "loyalty-shopper-b"}
STAFF = [f"U{n:032x}" for n in range(1, 502)]


@dataclass(frozen=True)
class Live:
    """What the fake holds, read through the SDK."""

    names: dict[str, str]  # rich menu name -> id
    aliases: dict[str, str]
    default: str | None


def run(
    api: RichMenuApi, menus: tuple[DesiredMenu, ...], staff: Sequence[str] = (), **options: object
) -> tuple[Plan, list[str]]:
    """Deploy and return the plan and the printed lines."""
    lines: list[str] = []
    plan = deploy(api, menus, lambda: list(staff), DeployOptions(**options), lines.append)
    return plan, lines


def live(api: RichMenuApi) -> Live:
    """Read the fake's rich menus, aliases and default."""
    menus = api.menus()
    names = {m.name: m.menu_id for m in menus}
    assert len(names) == len(menus), "two menus carry the same name"
    return Live(names=names, aliases=api.aliases(), default=api.default_menu())


def changes(requests: list[RecordedRequest]) -> list[tuple[str, str]]:
    """The requests that change something (validation changes nothing)."""
    return [(r.method, r.path) for r in requests if r.method != "GET" and r.path != VALIDATE]


def assert_serving(api: RichMenuApi, menus: tuple[DesiredMenu, ...]) -> None:
    """Default and aliases point at exactly these menus, each complete with its image."""
    state = live(api)
    ids = {menu.key: state.names[menu.name] for menu in menus}
    assert state.default == ids["shopper-card"]
    assert {alias: state.aliases[alias] for alias in ALIASES.values()} == {
        alias: ids[key] for key, alias in ALIASES.items()
    }
    assert state.aliases[STAFF_MENU_ALIAS] == ids["staff-main"]
    for menu in menus:
        assert api.image(ids[menu.key]) == menu.image


class FailingUpload(RichMenuApi):
    """Makes LINE answer ``status`` to the next image upload (the menu id is known only then)."""

    def __init__(self, api: MessagingApi, fake: FakeLine, status: int) -> None:
        super().__init__(api)
        self._fake, self._status = fake, status

    def upload_png(self, menu_id: str, png: bytes) -> None:
        """Inject the fault for this menu, then upload."""
        self._fake.fail_next(f"/v2/bot/richmenu/{menu_id}/content", self._status)
        super().upload_png(menu_id, png)


def test_first_deploy_creates_everything_and_links_staff_in_chunks(
    api: RichMenuApi, menus, fake_line: FakeLine, registry: StaffRegistry
) -> None:
    plan, lines = run(api, menus, STAFF)

    assert [m.key for m in plan.creates] == ["shopper-card", "shopper-rewards", "staff-main"]
    assert_serving(api, menus)
    state = live(api)
    assert sorted(state.names) == sorted(m.name for m in menus)
    staff_menu = state.names[menus[2].name]
    assert fake_line.user_rich_menus() == dict.fromkeys(STAFF, staff_menu)
    links = fake_line.recorded(BULK_LINK)
    assert [len(r.json["userIds"]) for r in links] == [500, 1]
    assert {r.json["richMenuId"] for r in links} == {staff_menu}

    order = changes(fake_line.recorded())
    assert [m for m, _ in order].count("DELETE") == 0
    # Every menu exists with its image before anything points at it; staff alias moves last.
    last_upload = max(i for i, (_, p) in enumerate(order) if p.endswith("/content"))
    first_alias = min(i for i, (_, p) in enumerate(order) if p.startswith("/v2/bot/richmenu/alias"))
    assert last_upload < first_alias
    assert order[-1] == ("POST", "/v2/bot/richmenu/alias")
    alias_posts = [r for r in fake_line.recorded("/v2/bot/richmenu/alias") if r.method == "POST"]
    assert alias_posts[-1].json["richMenuAliasId"] == STAFF_MENU_ALIAS
    assert [line for line in lines if line.startswith("[")][-1].startswith("[12/12] point alias")
    assert lines[-1] == "Done: 12 step(s); old menus were deleted last."


def test_repeated_deploy_only_reads(api: RichMenuApi, menus, fake_line: FakeLine) -> None:
    run(api, menus, STAFF[:3])
    before = len(fake_line.recorded())

    plan, lines = run(api, menus, STAFF[:3])

    assert plan.is_empty
    again = fake_line.recorded()[before:]
    assert again
    assert {r.method for r in again} == {"GET"}
    # Menus in use are known to have their image: no downloads either.
    assert not [r for r in again if r.path.endswith("/content")]
    assert lines[-1] == "Nothing to do: LINE already has these 3 menus."


def test_changed_definition_creates_new_menus_then_deletes_the_old_ones_last(
    api: RichMenuApi, menus, changed_menus, fake_line: FakeLine
) -> None:
    run(api, menus, STAFF[:2])
    old = live(api)
    before = len(fake_line.recorded())

    plan, lines = run(api, changed_menus, STAFF[:2])

    assert [m.key for m in plan.creates] == ["shopper-card", "staff-main"]
    assert_serving(api, changed_menus)
    new = live(api)
    assert sorted(new.names) == sorted(m.name for m in changed_menus)
    # The unchanged page is kept as it was, not recreated.
    assert new.names[menus[1].name] == old.names[menus[1].name]
    assert fake_line.user_rich_menus() == dict.fromkeys(STAFF[:2], new.names[changed_menus[2].name])
    order = changes(fake_line.recorded()[before:])
    deletes = [i for i, (method, _) in enumerate(order) if method == "DELETE"]
    assert [order[i][1] for i in deletes] == [
        f"/v2/bot/richmenu/{old.names[menus[0].name]}",
        f"/v2/bot/richmenu/{old.names[menus[2].name]}",
    ]
    assert deletes[0] == len(order) - 2  # nothing changes after the deletions begin
    link = order.index(("POST", BULK_LINK))
    staff_alias = order.index(("POST", f"/v2/bot/richmenu/alias/{STAFF_MENU_ALIAS}"))
    assert link < staff_alias < deletes[0]
    assert any(line.startswith("  delete   loyalty:shopper-card:") for line in lines)


@pytest.mark.parametrize(
    "fault",
    ["upload", "alias", "default", "staff link", "staff alias", "delete", "lost create"],
)
def test_failure_halfway_leaves_old_menus_working_and_a_rerun_finishes(
    api: RichMenuApi, line_client, menus, changed_menus, fake_line: FakeLine, fault: str
) -> None:
    run(api, menus, STAFF[:2])
    old = live(api)
    failing: RichMenuApi = api
    if fault == "upload":
        failing = FailingUpload(line_client.api, fake_line, 500)
    else:
        path = {
            "alias": "/v2/bot/richmenu/alias/loyalty-shopper-a",
            "default": "/v2/bot/user/all/richmenu/",
            "staff link": BULK_LINK,
            "staff alias": f"/v2/bot/richmenu/alias/{STAFF_MENU_ALIAS}",
            "delete": f"/v2/bot/richmenu/{old.names[menus[0].name]}",
            "lost create": CREATE,
        }[fault]
        # A lost create: LINE made the menu but the answer never arrived.
        fake_line.fail_next(path, 500, accept_first=fault == "lost create")

    with pytest.raises(RichMenuError) as excinfo:
        run(failing, changed_menus, STAFF[:2])

    message = str(excinfo.value)
    assert "HTTP 500" in message
    if fault == "delete":
        assert "The new menus are live" in message
    else:
        assert "Nothing was deleted: the current menus keep working." in message
        state = live(api)
        assert old.names.items() <= state.names.items()
        # Whatever the default is now (old, or new once switched), it is a complete menu.
        assert state.default is not None
        assert api.image(state.default) is not None

    plan, _ = run(api, changed_menus, STAFF[:2])

    assert len(plan.creates) <= 1 if fault in ("upload", "lost create") else not plan.creates
    assert_serving(api, changed_menus)
    assert sorted(live(api).names) == sorted(m.name for m in changed_menus)  # no orphans
    assert set(fake_line.user_rich_menus().values()) == {live(api).names[changed_menus[2].name]}


@pytest.mark.parametrize(
    ("status", "where", "expected"),
    [
        (415, "upload", "image/png or image/jpeg"),
        (400, "create", "size: invalid size"),
        (429, "create", "rate limit"),
        (429, "upload", "Wait before running deploy again"),
    ],
)
def test_refusals_give_clear_errors_and_keep_old_menus(
    api: RichMenuApi,
    line_client,
    menus,
    changed_menus,
    fake_line: FakeLine,
    status: int,
    where: str,
    expected: str,
) -> None:
    run(api, menus)
    old = live(api)
    before = len(fake_line.recorded())
    failing: RichMenuApi = api
    if where == "upload":
        failing = FailingUpload(line_client.api, fake_line, status)
    else:
        body = {
            "message": "The request body has 1 error(s)",
            "details": [{"message": "invalid size", "property": "size"}],
        }
        fake_line.fail_next(CREATE, status, body=body if status == 400 else None)

    with pytest.raises(RichMenuError) as excinfo:
        run(failing, changed_menus)

    assert f"HTTP {status}" in str(excinfo.value)
    assert expected in str(excinfo.value)
    assert "request id" in str(excinfo.value)
    assert not [m for m, _ in changes(fake_line.recorded()[before:]) if m == "DELETE"]
    state = live(api)
    assert old.names.items() <= state.names.items()
    assert (state.default, state.aliases) == (old.default, old.aliases)


def test_line_validation_failure_changes_nothing(
    api: RichMenuApi, menus, fake_line: FakeLine
) -> None:
    fake_line.fail_next(VALIDATE, 400, body={"message": "Invalid rich menu"})

    with pytest.raises(RichMenuError, match=r"Invalid rich menu.*Nothing was changed"):
        run(api, menus)

    assert changes(fake_line.recorded()) == []


def test_dry_run_prints_the_plan_and_changes_nothing(
    api: RichMenuApi, menus, fake_line: FakeLine
) -> None:
    plan, lines = run(api, menus, STAFF[:1], dry_run=True)

    assert len(plan.creates) == 3
    assert lines[-1] == "Dry run: nothing changed."
    assert "  staff    link 1 staff member(s) to " + menus[2].name in lines
    assert changes(fake_line.recorded()) == []
    assert len(fake_line.recorded(VALIDATE)) == 3


def test_create_budget_is_respected(api: RichMenuApi, menus, fake_line: FakeLine) -> None:
    with pytest.raises(
        RichMenuError, match="creates 3 rich menus but one run may create at most 2"
    ):
        run(api, menus, max_creates=2)

    assert changes(fake_line.recorded()) == []


def test_other_menus_are_left_alone_and_stale_managed_ones_go(
    api: RichMenuApi, menus, fake_line: FakeLine
) -> None:
    foreign = api.create(menus[0].request.copy(update={"name": "campaign-2026"}))
    stale = api.create(menus[0].request.copy(update={"name": "loyalty:old-page:0123456789ab"}))
    api.upload_png(stale, menus[0].image)
    api.point_alias("loyalty-old", stale, exists=False)

    plan, _ = run(api, menus)

    assert plan.stale_aliases == ("loyalty-old",)
    state = live(api)
    assert state.names["campaign-2026"] == foreign
    assert stale not in state.names.values()
    assert "loyalty-old" not in state.aliases


def test_relink_staff_links_everyone_again(api: RichMenuApi, menus, fake_line: FakeLine) -> None:
    run(api, menus, STAFF[:1])

    plan, _ = run(api, menus, STAFF[:3], relink_staff=True)

    assert plan.staff is not None
    assert not plan.creates
    assert len(fake_line.user_rich_menus()) == 3
