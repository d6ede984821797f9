"""The pure core stays pure: no Flask, LINE SDK or Redis imports under bot/domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "bot" / "domain"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


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
