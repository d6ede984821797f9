"""Every user-facing string lives in the catalogue: handlers never write their own.

The check reads the handler modules' syntax trees. A string is *user text* when it is a literal
with a letter in it (or an f-string, concatenation or ``.format`` built from one) and it goes
where the shopper reads it: into ``text_message``, a postback label, a message dict's
``text`` / ``altText`` / ``label`` / ``displayText``, or a keyword argument of that name. Keys
passed to ``text(language, key)`` (and a staff context's ``say(key)``) must exist.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.messages import texts

HANDLERS = Path(__file__).resolve().parents[2] / "bot" / "handlers"
#: Message-dict keys and keyword arguments whose values the shopper reads.
USER_FIELDS = frozenset({"text", "altText", "alt_text", "label", "displayText", "display_text"})
#: Calls whose every argument is shown as is.
SHOWN_AS_IS = frozenset({"text_message"})


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal_text(node: ast.expr) -> bool:
    """True when ``node`` builds a string from a literal that has a letter in it."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_literal_text(part) for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return False
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.BoolOp):
        return any(_literal_text(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) or _literal_text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "Hello {}".format(name), " ".join(["a", "b"])
        return _literal_text(node.func.value) or any(_literal_text(a) for a in node.args)
    if isinstance(node, ast.List | ast.Tuple):
        return any(_literal_text(e) for e in node.elts)
    return False


def inline_user_text(source: str, filename: str = "<handler>") -> list[str]:
    """Where ``source`` writes user text itself, and catalogue keys that do not exist."""
    problems: list[str] = []
    known = set(texts.CATALOGUE[texts.DEFAULT_LANGUAGE])

    def report(node: ast.AST, what: str) -> None:
        problems.append(f"{filename}:{node.lineno}: {what}")

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in ("text", "say"):
                key = node.args[1 if name == "text" else 0] if node.args else None
                if isinstance(key, ast.Constant) and key.value not in known:
                    report(node, f"catalogue key {key.value!r} does not exist")
                continue
            shown = list(node.args) if name in SHOWN_AS_IS else []
            if name == "postback" and node.args:
                shown.append(node.args[0])  # the label; the data is for the bot, not shown
            shown += [k.value for k in node.keywords if k.arg in USER_FIELDS | {"display", "body"}]
            for arg in shown:
                if _literal_text(arg):
                    report(arg, f"inline text passed to {name}()")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value in USER_FIELDS
                    and _literal_text(value)
                ):
                    report(value, f"inline text in a message's {key.value!r}")
    return problems


def test_handlers_take_every_user_text_from_the_catalogue():
    modules = sorted(HANDLERS.glob("*.py"))
    assert len(modules) >= 4
    problems = [p for path in modules for p in inline_user_text(path.read_text(), path.name)]
    assert problems == []


@pytest.mark.parametrize(
    "snippet",
    [
        'text_message("会員証はこちらです")',
        'text_message("Here is your card")',
        'text_message(f"ようこそ{name}さん")',
        'text_message("Hello " + name)',
        'text_message("Hello {}".format(name))',
        'text_message(text(lang, "welcome", name=name) + " Enjoy!")',
        '{"type": "text", "text": "ポイント残高"}',
        '{"type": "flex", "altText": f"Balance {n}", "contents": {}}',
        'postback("Refresh", "action=card")',
        'postback(text(lang, "refresh_card"), "action=card", display="会員証")',
        'TextMessage(text="Thanks!")',
        'text(lang, "no_such_key")',
        'ctx.say("staff_no_such_step")',
    ],
)
def test_the_check_catches_inline_text(snippet):
    assert inline_user_text(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    [
        'text_message(text(lang, "welcome", name=name or "-"))',
        'postback(text(lang, "refresh_card"), "action=card")',
        '{"type": "text", "text": body}',
        'KEYWORDS = {"会員証": show_card, "card": show_card}',
        'cleaned = body.removesuffix("円").replace("¥", "")',
        'log.info("member %s restored", ref)',
        'ctx.say("staff_code_expired")',
        "text_message(text(lang, key))",
    ],
)
def test_the_check_lets_catalogue_text_and_input_parsing_through(snippet):
    assert inline_user_text(snippet) == []


def test_every_text_key_exists_in_every_language_with_the_same_placeholders():
    reference = texts.CATALOGUE[texts.DEFAULT_LANGUAGE]
    fields = string.Formatter()
    for language, catalogue in texts.CATALOGUE.items():
        assert set(catalogue) == set(reference), language
        for key, value in catalogue.items():
            mine = {f for _, f, _, _ in fields.parse(value) if f}
            theirs = {f for _, f, _, _ in fields.parse(reference[key]) if f}
            assert mine == theirs, (language, key)
