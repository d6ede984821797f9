"""``list`` and ``delete``: look at and remove rich menus on LINE by hand."""

from __future__ import annotations

from collections.abc import Callable

from richmenu import ALIAS_PREFIX, NAME_PREFIX
from richmenu.deploy import Output
from richmenu.errors import guarded
from richmenu.line_ops import RichMenuApi


def list_menus(api: RichMenuApi, out: Output) -> int:
    """Print every rich menu with its size, areas, chat bar text, aliases and default mark."""
    menus = guarded("list the rich menus", api.menus)
    aliases = guarded("list the rich menu aliases", api.aliases)
    default = guarded("read the default rich menu", api.default_menu)
    if not menus:
        out("No rich menus.")
        return 0
    for menu in menus:
        marks = [f"alias {a}" for a, target in sorted(aliases.items()) if target == menu.menu_id]
        if menu.menu_id == default:
            marks.insert(0, "default")
        if not menu.name.startswith(NAME_PREFIX):
            marks.append("not managed by this tool")
        out(
            f"{menu.menu_id}  {menu.name}  {menu.width}x{menu.height}  {menu.areas} areas  "
            f"chat bar {menu.chat_bar_text!r}" + (f"  [{', '.join(marks)}]" if marks else "")
        )
    out(f"{len(menus)} rich menu(s); default {default or 'none'}.")
    return len(menus)


def delete_menu(api: RichMenuApi, menu_id: str, out: Output) -> None:
    """Delete one menu, and first this tool's aliases that point at it."""
    aliases = guarded("list the rich menu aliases", api.aliases)
    for alias, target in sorted(aliases.items()):
        if target == menu_id and alias.startswith(ALIAS_PREFIX):
            guarded(f"delete alias {alias}", lambda a=alias: api.delete_alias(a))
            out(f"deleted alias {alias}")
    guarded(f"delete {menu_id}", lambda: api.delete(menu_id))
    out(f"deleted {menu_id}")


def delete_managed(
    api: RichMenuApi, out: Output, confirm: Callable[[str], bool] | None = None
) -> int | None:
    """Delete every alias and menu this tool manages; returns how many menus went. With
    ``confirm``, first lists them and asks it; None (nothing deleted) if it says no."""
    aliases = guarded("list the rich menu aliases", api.aliases)
    menus = guarded("list the rich menus", api.menus)
    owned = sorted(a for a in aliases if a.startswith(ALIAS_PREFIX))
    managed = [m for m in menus if m.name.startswith(NAME_PREFIX)]
    if confirm is not None and (owned or managed):
        for alias in owned:
            out(f"  alias {alias}")
        for menu in managed:
            out(f"  menu  {menu.menu_id}  {menu.name}")
        what = f"{len(managed)} rich menu(s) and {len(owned)} alias(es)"
        if not confirm(f"Delete these {what} from LINE? Shoppers and staff lose their menus."):
            return None
    for alias in owned:
        guarded(f"delete alias {alias}", lambda a=alias: api.delete_alias(a))
        out(f"deleted alias {alias}")
    for menu in managed:
        guarded(f"delete {menu.name}", lambda m=menu: api.delete(m.menu_id))
        out(f"deleted {menu.menu_id}  {menu.name}")
    if not managed:
        out("No rich menus managed by this tool.")
    return len(managed)
