"""What deploy must change on LINE: the desired menus compared with what LINE holds (pure).

Menus are matched by name, and a name carries a hash of the menu's whole content, so an
unchanged menu is kept as it is and a changed one is created anew (LINE cannot replace an
image). Anything a half-finished run left behind is recognised and finished: a menu with the
right name but no image gets its image, an alias left on an old menu is moved, and old menus
are deleted only once nothing points at them any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from richmenu import ALIAS_PREFIX, NAME_PREFIX
from richmenu.build import DesiredMenu
from richmenu.line_ops import LiveMenu


@dataclass(frozen=True)
class LiveState:
    """What LINE holds: menus, aliases, the default, and which menus have their image."""

    menus: tuple[LiveMenu, ...]
    aliases: Mapping[str, str]
    default_menu: str | None
    with_image: frozenset[str]


@dataclass(frozen=True)
class AliasMove:
    """Point ``alias`` at the menu of page ``key`` (creating the alias if it is new)."""

    alias: str
    key: str
    exists: bool


@dataclass(frozen=True)
class Plan:
    """The changes, in the order they are applied; deletions always come last."""

    menus: tuple[DesiredMenu, ...]
    #: Page key -> id of the live menu that already has the desired content.
    reused: Mapping[str, str]
    creates: tuple[DesiredMenu, ...]
    #: Reused menus whose image is still missing (a run stopped after creating them).
    uploads: tuple[DesiredMenu, ...]
    aliases: tuple[AliasMove, ...]
    #: Page key of the menu to make the default, if the default must change.
    default: str | None
    #: The staff menu's alias, moved only after every staff member was linked to its menu.
    staff: AliasMove | None
    stale_aliases: tuple[str, ...]
    deletes: tuple[LiveMenu, ...]

    @property
    def is_empty(self) -> bool:
        """Say whether LINE already holds exactly the desired menus."""
        return not (
            self.creates
            or self.uploads
            or self.aliases
            or self.default
            or self.staff
            or self.stale_aliases
            or self.deletes
        )

    def describe(self, staff_count: int = 0) -> list[str]:
        """One line per change, in order, then the menus kept as they are."""
        by_key = {menu.key: menu for menu in self.menus}
        lines = [
            f"create   {m.name}  {m.page.width}x{m.page.height}, "
            f"{len(m.request.areas)} areas, image {_kb(m.image)}"
            for m in self.creates
        ]
        lines += [
            f"upload   {m.name}  image {_kb(m.image)} ({self.reused[m.key]} has none yet)"
            for m in self.uploads
        ]
        lines += [_alias_line(move, by_key) for move in self.aliases]
        if self.default:
            lines.append(f"default  {by_key[self.default].name}")
        if self.staff:
            lines.append(
                f"staff    link {staff_count} staff member(s) to {by_key[self.staff.key].name}"
            )
            lines.append(_alias_line(self.staff, by_key))
        lines += [f"unalias  {alias}" for alias in self.stale_aliases]
        lines += [f"delete   {m.name}  ({m.menu_id})" for m in self.deletes]
        changed = {m.key for m in (*self.creates, *self.uploads)}
        lines += [
            f"keep     {m.name}  ({self.reused[m.key]})" for m in self.menus if m.key not in changed
        ]
        return lines


def make_plan(
    menus: tuple[DesiredMenu, ...], state: LiveState, *, relink_staff: bool = False
) -> Plan:
    """Compare desired and live; ``relink_staff`` links the staff even if nothing changed."""
    reused: dict[str, str] = {}
    creates: list[DesiredMenu] = []
    uploads: list[DesiredMenu] = []
    for menu in menus:
        menu_id = _pick(menu.name, state)
        if menu_id is None:
            creates.append(menu)
            continue
        reused[menu.key] = menu_id
        if menu_id not in state.with_image:
            uploads.append(menu)

    aliases: list[AliasMove] = []
    staff: AliasMove | None = None
    default: str | None = None
    for menu in menus:
        target = reused.get(menu.key)
        current = state.aliases.get(menu.page.alias)
        move = AliasMove(menu.page.alias, menu.key, exists=current is not None)
        if menu.page.role == "staff":
            if current is None or current != target or relink_staff:
                staff = move
        elif current is None or current != target:
            aliases.append(move)
        if menu.page.role == "default" and (target is None or state.default_menu != target):
            default = menu.key

    wanted_aliases = {menu.page.alias for menu in menus}
    stale = tuple(
        alias
        for alias in sorted(state.aliases)
        if alias.startswith(ALIAS_PREFIX) and alias not in wanted_aliases
    )
    keep = set(reused.values())
    deletes = tuple(
        m for m in state.menus if m.name.startswith(NAME_PREFIX) and m.menu_id not in keep
    )
    return Plan(
        menus=menus,
        reused=reused,
        creates=tuple(creates),
        uploads=tuple(uploads),
        aliases=tuple(aliases),
        default=default,
        staff=staff,
        stale_aliases=stale,
        deletes=deletes,
    )


def _pick(name: str, state: LiveState) -> str | None:
    """The live menu to keep for ``name``: one already in use, else one with its image."""
    candidates = [m.menu_id for m in state.menus if m.name == name]
    in_use = set(state.aliases.values()) | {state.default_menu}
    for ranked in (
        [c for c in candidates if c in in_use],
        [c for c in candidates if c in state.with_image],
        candidates,
    ):
        if ranked:
            # Any other copy (say, a create whose answer was lost) is deleted as stale.
            return ranked[0]
    return None


def _alias_line(move: AliasMove, by_key: Mapping[str, DesiredMenu]) -> str:
    """The plan line of an alias change."""
    verb = "move" if move.exists else "create"
    return f"alias    {move.alias} -> {by_key[move.key].name} ({verb})"


def _kb(data: bytes) -> str:
    """A byte count in kilobytes."""
    return f"{len(data) / 1000:.0f} KB"
