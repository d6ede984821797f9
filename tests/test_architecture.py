"""The pure core stays pure: no Flask, LINE SDK or Redis imports under bot/domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "bot" / "domain"


def _modules(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name (relative imports left out)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _imports(path: Path) -> set[str]:
    """The top-level packages a file imports."""
    return {name.split(".")[0] for name in _modules(path)}


def test_domain_imports_only_the_standard_library_and_itself():
    modules = list(DOMAIN.glob("*.py"))
    assert modules
    for path in modules:
        outside = {
            name for name in _imports(path) if name not in sys.stdlib_module_names and name != "bot"
        }
        assert not outside, f"{path.name} imports {outside}"
        own = {
            node.module
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.")
        }
        assert all(m.startswith("bot.domain") for m in own), f"{path.name} imports {own}"


def test_the_bot_never_imports_the_rich_menu_tool():
    # richmenu builds on bot (its LINE client, program, postback codec); the other way round
    # would make the bot's processes load Pillow rendering and the deploy planner.
    bot = DOMAIN.parent
    for path in bot.rglob("*.py"):
        assert "richmenu" not in _imports(path), f"{path.relative_to(bot.parent)} imports richmenu"


def test_postback_data_is_written_only_by_the_codec():
    # An improvised "action=..." string is a postback the codec cannot check: a typo in one
    # is a button that does nothing.
    root = DOMAIN.parents[1]
    codec = root / "bot" / "messages" / "postbacks.py"
    for package in ("bot", "richmenu", "sandbox"):
        for path in (root / package).rglob("*.py"):
            if path == codec:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    assert "action=" not in node.value, f"{path.relative_to(root)}:{node.lineno}"


#: Each room of bot/ and the rooms it may import (README, "Code map"). Anything not listed is
#: off limits: a store that imported handlers, or a message builder that read Redis, would
#: show up here first.
ALLOWED: dict[str, set[str]] = {
    "domain": {"domain"},
    "log": set[str](),
    "config": {"domain"},
    "store": {"domain", "store"},
    "line": {"domain", "line", "log"},
    "messages": {"domain", "messages"},
    "imaging": {"config", "domain", "imaging", "messages"},
    "services": {"config", "domain", "line", "operations", "store"},
    "operations": {"domain", "log", "operations", "services", "store"},
    "handlers": {
        "domain",
        "handlers",
        "imaging",
        "line",
        "log",
        "messages",
        "operations",
        "services",
        "store",
    },
    "web": {
        "config",
        "domain",
        "imaging",
        "jobs",
        "log",
        "messages",
        "operations",
        "services",
        "store",
        "web",
    },
    "jobs": {
        "app",
        "config",
        "domain",
        "handlers",
        "jobs",
        "line",
        "log",
        "messages",
        "operations",
        "services",
        "store",
    },
    "cli": {
        "cli",
        "config",
        "domain",
        "imaging",
        "jobs",
        "line",
        "log",
        "messages",
        "operations",
        "services",
        "store",
    },
}


def _bot_rooms(path: Path) -> set[str]:
    """The rooms of bot/ a module imports (``app`` for the package itself: create_app)."""
    parts = [name.split(".") for name in _modules(path)]
    return {p[1] if len(p) > 1 else "app" for p in parts if p[0] == "bot"}


def test_every_room_imports_only_the_rooms_it_may():
    bot = DOMAIN.parent
    checked = set()
    for path in bot.rglob("*.py"):
        relative = path.relative_to(bot)
        if relative.parts == ("__init__.py",):
            continue  # the app factory wires every room together
        room = relative.parts[0].removesuffix(".py")
        assert room in ALLOWED, f"bot/{relative}: a new room? add it to ALLOWED and the README"
        outside = _bot_rooms(path) - ALLOWED[room]
        assert not outside, f"bot/{relative} imports {sorted(outside)}"
        checked.add(room)
    assert checked == set(ALLOWED)


def test_the_rich_menu_tool_and_the_sandbox_stay_outside_the_product():
    root = DOMAIN.parents[1]
    for path in (root / "bot").rglob("*.py"):
        assert "sandbox" not in _imports(path), f"{path.relative_to(root)} imports the sandbox"
    for path in (root / "richmenu").rglob("*.py"):
        imported = _bot_rooms(path)
        allowed = {"config", "domain", "imaging", "line", "messages", "store"}
        assert imported <= allowed, f"{path.relative_to(root)} imports bot {imported - allowed}"
