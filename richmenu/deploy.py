"""``deploy``: read LINE's state, plan, validate with LINE, then apply in a safe order.

The order keeps the current menus working until the new ones are complete: create each new
menu and upload its image, point the tab aliases at them, switch the default, link every staff
member to the new staff menu and only then move the staff alias, and delete old menus last.
If anything fails the run stops there; the next run reads LINE again and finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from richmenu import NAME_PREFIX
from richmenu.build import DesiredMenu
from richmenu.errors import RichMenuError, guarded
from richmenu.line_ops import MAX_BULK_USERS, RichMenuApi
from richmenu.plan import AliasMove, LiveState, Plan, make_plan

#: Most rich menus one run may create unless told otherwise; LINE allows 100 per hour, and a
#: failed run that is retried should not use up the hour.
DEFAULT_MAX_CREATES = 20
_UNCHANGED = "Nothing was changed."
_SAFE_BEFORE_DELETES = "Nothing was deleted: the current menus keep working."
_RERUN = "Run deploy again to finish: it picks up where this run stopped."

Output = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class DeployOptions:
    """How to run a deploy."""

    dry_run: bool = False
    max_creates: int = DEFAULT_MAX_CREATES
    relink_staff: bool = False


def deploy(
    api: RichMenuApi,
    menus: tuple[DesiredMenu, ...],
    staff_ids: Callable[[], Sequence[str]],
    options: DeployOptions,
    out: Output,
) -> Plan:
    """Make LINE hold ``menus``; prints progress and raises RichMenuError on any failure."""
    state = guarded("read the rich menus from LINE", lambda: read_state(api, menus), _UNCHANGED)
    managed = [m for m in state.menus if m.name.startswith(NAME_PREFIX)]
    out(
        f"LINE holds {len(state.menus)} rich menu(s), {len(managed)} managed by this tool; "
        f"{len(state.aliases)} alias(es); default {state.default_menu or 'none'}"
    )
    plan = make_plan(menus, state, relink_staff=options.relink_staff)
    staff = list(staff_ids()) if plan.staff else []
    if plan.creates:
        for menu in plan.creates:
            guarded(f"validate {menu.name}", lambda m=menu: api.validate(m.request), _UNCHANGED)
        out(f"LINE's validate endpoint accepts the {len(plan.creates)} new menu(s)")
    if plan.is_empty:
        out(f"Nothing to do: LINE already has these {len(menus)} menus.")
        return plan
    out("Plan:")
    for line in plan.describe(len(staff)):
        out(f"  {line}")
    if len(plan.creates) > options.max_creates:
        raise RichMenuError(
            f"the plan creates {len(plan.creates)} rich menus but one run may create at most "
            f"{options.max_creates} (LINE allows 100 per hour); nothing was changed. "
            "Raise --max-creates if that is intended."
        )
    if options.dry_run:
        out("Dry run: nothing changed.")
        return plan
    _Apply(api, plan, staff, out).run()
    return plan


def read_state(api: RichMenuApi, menus: tuple[DesiredMenu, ...]) -> LiveState:
    """What LINE holds; images are fetched only for desired menus nothing points at yet."""
    live = tuple(api.menus())
    aliases = api.aliases()
    default = api.default_menu()
    # LINE lets an alias or the default point only at a menu with an image.
    in_use = set(aliases.values()) | ({default} if default else set())
    wanted = {menu.name for menu in menus}
    with_image = {m.menu_id for m in live if m.menu_id in in_use}
    with_image |= {
        m.menu_id
        for m in live
        if m.name in wanted and m.menu_id not in in_use and api.image(m.menu_id) is not None
    }
    return LiveState(
        menus=live, aliases=aliases, default_menu=default, with_image=frozenset(with_image)
    )


class _Apply:
    """Carries out a plan step by step, numbering the steps as it prints them."""

    def __init__(self, api: RichMenuApi, plan: Plan, staff: list[str], out: Output) -> None:
        self._api = api
        self._plan = plan
        self._staff = staff
        self._out = out
        self._ids = dict(plan.reused)
        self._by_key = {menu.key: menu for menu in plan.menus}
        chunks = -(-len(staff) // MAX_BULK_USERS) if plan.staff else 0
        self._total = (
            2 * len(plan.creates)
            + len(plan.uploads)
            + len(plan.aliases)
            + (1 if plan.default else 0)
            + (chunks + 1 if plan.staff else 0)
            + len(plan.stale_aliases)
            + len(plan.deletes)
        )
        self._done = 0

    def run(self) -> None:
        """Apply every step in the safe order."""
        plan = self._plan
        for menu in plan.creates:
            menu_id = self._step(f"create {menu.name}", lambda m=menu: self._api.create(m.request))
            self._ids[menu.key] = menu_id
            self._upload(menu)
        for menu in plan.uploads:
            self._upload(menu)
        for move in plan.aliases:
            self._alias(move)
        if plan.default:
            menu_id = self._ids[plan.default]
            self._step(
                f"set the default to {self._by_key[plan.default].name}",
                lambda: self._api.set_default(menu_id),
            )
        if plan.staff:
            self._link_staff(plan.staff)
        after = "The new menus are live; old ones are left. Run deploy again to delete them."
        for alias in plan.stale_aliases:
            self._step(f"delete alias {alias}", lambda a=alias: self._api.delete_alias(a), after)
        for menu in plan.deletes:
            self._step(
                f"delete {menu.name} ({menu.menu_id})",
                lambda m=menu: self._api.delete(m.menu_id),
                after,
            )
        self._out(f"Done: {self._total} step(s); old menus were deleted last.")

    def _upload(self, menu: DesiredMenu) -> None:
        """Upload a menu's image (PNG)."""
        menu_id = self._ids[menu.key]
        self._step(
            f"upload the image of {menu.name} ({menu_id})",
            lambda: self._api.upload_png(menu_id, menu.image),
        )

    def _alias(self, move: AliasMove) -> None:
        """Create or move one alias."""
        menu_id = self._ids[move.key]
        self._step(
            f"point alias {move.alias} at {self._by_key[move.key].name}",
            lambda: self._api.point_alias(move.alias, menu_id, exists=move.exists),
        )

    def _link_staff(self, move: AliasMove) -> None:
        """Link every staff member in bulk, then move the staff alias (the proof it is done)."""
        menu_id = self._ids[move.key]
        if not self._staff:
            self._out("  (no staff registered yet: `staff add` links each one it registers)")
        for start in range(0, len(self._staff), MAX_BULK_USERS):
            chunk = self._staff[start : start + MAX_BULK_USERS]
            self._step(
                f"link staff {start + 1}-{start + len(chunk)} of {len(self._staff)} "
                f"to {self._by_key[move.key].name}",
                lambda c=chunk: self._api.link_users(menu_id, c),
            )
        self._alias(move)

    def _step(self, what: str, call: Callable[[], T], after: str = "") -> T:
        """Run one numbered step, printing it once it succeeded."""
        result = guarded(what, call, after or f"{_SAFE_BEFORE_DELETES} {_RERUN}")
        self._done += 1
        suffix = f" -> {result}" if isinstance(result, str) else ""
        self._out(f"[{self._done}/{self._total}] {what}{suffix}")
        return result
