"""The loyalty program file: a TOML document a store owner tunes, validated into values."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROUNDING_MODES = ("floor", "round", "ceil")
CODE_MODES = ("static",)
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class ProgramError(Exception):
    """The program file is unreadable or invalid; ``problems`` names each bad key and value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EarnRule:
    """``points`` points for every ``per_yen`` JPY paid in money, rounded by ``rounding``."""

    points: int
    per_yen: int
    rounding: str
    exclude_points_used: bool


@dataclass(frozen=True)
class CardDesign:
    """How the membership card looks."""

    store_name: str
    background: str
    foreground: str
    accent: str


@dataclass(frozen=True)
class Program:
    """A validated loyalty program."""

    name: str
    timezone: ZoneInfo
    earn: EarnRule
    card: CardDesign
    code_mode: str


def load_program(path: Path) -> Program:
    """Read and validate the program file at ``path``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProgramError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgramError([f"{path}: cannot read ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError([f"{path}: not valid TOML ({exc})"]) from None
    return parse_program(raw, source=str(path))


def parse_program(raw: dict[str, Any], source: str = "program") -> Program:
    """Validate a parsed program document, collecting every problem before raising."""
    reader = _Reader(raw, source)
    name = reader.text("program.name")
    tz_name = reader.text("program.timezone", default="Asia/Tokyo")
    timezone = _zone(reader, tz_name)
    earn = EarnRule(
        points=reader.integer("earn.points", default=1, minimum=0),
        per_yen=reader.integer("earn.per_yen", default=100, minimum=1),
        rounding=reader.choice("earn.rounding", ROUNDING_MODES, default="floor"),
        exclude_points_used=reader.boolean("earn.exclude_points_used", default=True),
    )
    card = CardDesign(
        store_name=reader.text("card.store_name", default=name or "-"),
        background=reader.color("card.background", default="#06C755"),
        foreground=reader.color("card.foreground", default="#FFFFFF"),
        accent=reader.color("card.accent", default="#1E1E1E"),
    )
    code_mode = reader.choice("card.code_mode", CODE_MODES, default="static")
    if reader.problems:
        raise ProgramError(reader.problems)
    assert timezone is not None
    return Program(name=name, timezone=timezone, earn=earn, card=card, code_mode=code_mode)


def _zone(reader: _Reader, name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.problems.append(f"{reader.source}: program.timezone = {name!r} is not a time zone")
        return None


class _Reader:
    """Typed look-ups of dotted keys that record a problem instead of raising."""

    _MISSING = object()

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source
        self.problems: list[str] = []

    def _get(self, key: str, default: Any) -> Any:
        node: Any = self.raw
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is self._MISSING:
                    self.problems.append(f"{self.source}: {key} is missing")
                return default
            node = node[part]
        return node

    def _bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{self.source}: {key} = {value!r} must be {expected}")

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if value is default and default is self._MISSING:
            return ""
        if not isinstance(value, str) or not value.strip():
            self._bad(key, value, "a non-empty string")
            return ""
        return value

    def integer(self, key: str, default: int, minimum: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self._bad(key, value, f"an integer >= {minimum}")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self._bad(key, value, "true or false")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(key, default)
        if value not in choices:
            self._bad(key, value, "one of " + ", ".join(choices))
            return default
        return value

    def color(self, key: str, default: str) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or not _COLOR.match(value):
            self._bad(key, value, "a colour like '#06C755'")
            return default
        return value.upper()
