"""Rich menu definitions: TOML files under ``richmenu/definitions/``, read into frozen values.

One file describes one menu (``menu = "shopper"``) of one or more pages. Each page becomes one
LINE rich menu; a menu with several pages gets a tab bar across the top whose tabs switch pages
with rich menu aliases. Structure is checked here; LINE's limits are checked in validate.py.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where the bundled definitions live.
DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
#: What a menu is for: ``default`` (its first page is everyone's default rich menu) or
#: ``staff`` (its first page is linked to each registered staff member).
ROLES = ("default", "staff")
#: The icons render.py can draw.
ICONS = (
    "card",
    "points",
    "history",
    "rewards",
    "settings",
    "help",
    "scan",
    "code",
    "today",
    "undo",
)

_MISSING = object()
_MENU_KEYS = {"menu", "role", "size", "chat_bar_text", "selected", "tab_height", "page"}
_PAGE_KEYS = {"name", "alias", "tab", "tab_en", "button"}
_BUTTON_KEYS = {"label", "label_en", "icon", "bounds", "data", "display_text"}


class DefinitionError(Exception):
    """The definitions are unreadable or malformed; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Bounds:
    """A tappable rectangle in image pixels; (0, 0) is the top-left corner."""

    x: int
    y: int
    width: int
    height: int

    def inside(self, width: int, height: int) -> bool:
        """Say whether the rectangle lies within an image of this size."""
        return (
            self.x >= 0
            and self.y >= 0
            and self.width > 0
            and self.height > 0
            and self.x + self.width <= width
            and self.y + self.height <= height
        )

    def overlaps(self, other: Bounds) -> bool:
        """Say whether the two rectangles share any pixel."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass(frozen=True)
class Button:
    """A tappable tile: an icon and labels; tapping it sends a postback with ``data``."""

    label: str
    label_en: str | None
    icon: str
    bounds: Bounds
    data: str
    display_text: str | None


@dataclass(frozen=True)
class Tab:
    """One tab of a menu's tab bar: tapping it switches to ``page`` through its alias."""

    page: str
    alias: str
    label: str
    label_en: str | None
    bounds: Bounds


@dataclass(frozen=True)
class Page:
    """One LINE rich menu: a page of a menu, with the menu's tab bar and its own buttons."""

    menu: str
    name: str
    alias: str
    #: The menu's role on its first page; None on the other pages (reached by tabs).
    role: str | None
    width: int
    height: int
    chat_bar_text: str
    selected: bool
    tabs: tuple[Tab, ...]
    buttons: tuple[Button, ...]

    @property
    def key(self) -> str:
        """``<menu>-<page>``: stable across changes; the rich menu name starts with it."""
        return f"{self.menu}-{self.name}"


def load_definitions(directory: Path = DEFINITIONS_DIR) -> tuple[Page, ...]:
    """Read every ``*.toml`` in ``directory`` (sorted by name), reporting all problems at once."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise DefinitionError([f"{directory}: no *.toml rich menu definitions"])
    pages: list[Page] = []
    problems: list[str] = []
    for path in files:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{path.name}: cannot read ({exc})")
            continue
        try:
            pages.extend(parse_menu(raw, source=path.name))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    return tuple(pages)


def parse_menu(raw: dict[str, Any], source: str = "menu") -> tuple[Page, ...]:
    """Turn one parsed definition file into its pages, collecting every problem first."""
    reader = _Reader(source)
    reader.unknown(raw, _MENU_KEYS, "")
    menu = reader.get(raw, "menu", str, "")
    role = reader.get(raw, "role", str, "", default=None)
    if role is not None and role not in ROLES:
        reader.bad("role", role, "one of " + ", ".join(ROLES))
    width, height = reader.ints(raw, "size", 2, "", "[width, height]") or (0, 0)
    chat_bar_text = reader.get(raw, "chat_bar_text", str, "")
    selected = reader.get(raw, "selected", bool, "", default=True)
    raw_pages = reader.get(raw, "page", list, "") or []
    tab_height = reader.get(raw, "tab_height", int, "", default=0) if len(raw_pages) > 1 else 0
    if len(raw_pages) > 1 and not tab_height:
        reader.problems.append(f"{source}: tab_height is missing (needed for several pages)")
    tabs = _tabs(reader, raw_pages, width, tab_height)
    pages = [
        Page(
            menu=menu,
            name=reader.get(raw_page, "name", str, f"page[{i}].") or "",
            alias=reader.get(raw_page, "alias", str, f"page[{i}].") or "",
            role=role if i == 0 else None,
            width=width,
            height=height,
            chat_bar_text=chat_bar_text,
            selected=bool(selected),
            tabs=tabs,
            buttons=tuple(_buttons(reader, raw_page, f"page[{i}].")),
        )
        for i, raw_page in enumerate(raw_pages)
        if reader.table(raw_page, f"page[{i}]", _PAGE_KEYS)
    ]
    if not raw_pages:
        reader.problems.append(f"{source}: needs at least one [[page]]")
    if reader.problems:
        raise DefinitionError(reader.problems)
    return tuple(pages)


def _tabs(reader: _Reader, raw_pages: list[Any], width: int, height: int) -> tuple[Tab, ...]:
    """The tab bar: one tab per page, equal widths across the top (none for a single page)."""
    if len(raw_pages) < 2 or not width or not height:
        return ()
    tabs = []
    tab_width = width // len(raw_pages)
    for i, raw_page in enumerate(raw_pages):
        if not isinstance(raw_page, dict):
            continue
        where = f"page[{i}]."
        # The last tab takes the pixels the division left over.
        this_width = width - tab_width * i if i == len(raw_pages) - 1 else tab_width
        tabs.append(
            Tab(
                page=reader.get(raw_page, "name", str, where, quiet=True) or "",
                alias=reader.get(raw_page, "alias", str, where, quiet=True) or "",
                label=reader.get(raw_page, "tab", str, where) or "",
                label_en=reader.get(raw_page, "tab_en", str, where, default=None),
                bounds=Bounds(tab_width * i, 0, this_width, height),
            )
        )
    return tuple(tabs)


def _buttons(reader: _Reader, raw_page: dict[str, Any], where: str) -> list[Button]:
    """The buttons of one page, skipping (and reporting) malformed ones."""
    buttons = []
    for j, raw in enumerate(reader.get(raw_page, "button", list, where) or []):
        at = f"{where}button[{j}]"
        if not reader.table(raw, at, _BUTTON_KEYS):
            continue
        at += "."
        icon = reader.get(raw, "icon", str, at) or ""
        if icon and icon not in ICONS:
            reader.bad(f"{at}icon", icon, "one of " + ", ".join(ICONS))
        bounds = reader.ints(raw, "bounds", 4, at, "[x, y, width, height]") or (0, 0, 0, 0)
        buttons.append(
            Button(
                label=reader.get(raw, "label", str, at) or "",
                label_en=reader.get(raw, "label_en", str, at, default=None),
                icon=icon,
                bounds=Bounds(*bounds),
                data=reader.get(raw, "data", str, at) or "",
                display_text=reader.get(raw, "display_text", str, at, default=None),
            )
        )
    return buttons


class _Reader:
    """Typed look-ups that record a problem (naming file and key) instead of raising."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def bad(self, key: str, value: Any, expected: str) -> None:
        """Record that ``key`` has a value of the wrong kind."""
        self.problems.append(f"{self.source}: {key} = {value!r} must be {expected}")

    def get(
        self,
        table: dict[str, Any],
        key: str,
        kind: type,
        where: str,
        default: Any = _MISSING,
        *,
        quiet: bool = False,
    ) -> Any:
        """``table[key]`` if it is a ``kind``; else record a problem and return the default."""
        if key not in table:
            if default is _MISSING and not quiet:
                self.problems.append(f"{self.source}: {where}{key} is missing")
            return None if default is _MISSING else default
        value = table[key]
        # bool is an int in Python; a TOML `true` is never a pixel count.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            if not quiet:
                self.bad(where + key, value, _KIND_NAMES.get(kind, kind.__name__))
            return None if default is _MISSING else default
        return value

    def ints(
        self, table: dict[str, Any], key: str, count: int, where: str, shape: str
    ) -> tuple[int, ...] | None:
        """A list of exactly ``count`` integers, or None after recording a problem."""
        value = self.get(table, key, list, where)
        if value is None:
            return None
        if len(value) != count or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            self.bad(where + key, value, f"{count} integers {shape}")
            return None
        return tuple(value)

    def table(self, value: Any, where: str, allowed: set[str]) -> bool:
        """Say whether ``value`` is a table, recording a problem if not or if keys are unknown."""
        if not isinstance(value, dict):
            self.bad(where, value, "a table")
            return False
        self.unknown(value, allowed, where + ".")
        return True

    def unknown(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        """Record keys that are not part of the format (most often a typo)."""
        for key in sorted(set(table) - allowed):
            self.problems.append(f"{self.source}: {where}{key} is not a known key")


_KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "an array"}
