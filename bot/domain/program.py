"""The loyalty program file: a TOML document a store owner tunes, validated into values."""

from __future__ import annotations

import difflib
import itertools
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import card_codes
from bot.domain.cards import DEFAULT_PREFIX, PREFIXES
from bot.domain.durations import Duration, parse_duration, start_of_next_month
from bot.domain.schedule import QuietHours, parse_quiet_hours

ROUNDING_MODES = ("floor", "round", "ceil")
#: ``rotating``: a one-time code that changes every few minutes (Code 128 + QR);
#: ``static``: the member number as an EAN-13 barcode, for tills that only read JAN codes.
CODE_MODES = ("rotating", "static")
#: Logo image types the card renderer reads, by their first bytes.
_LOGO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
#: Largest accepted logo file, in bytes.
MAX_LOGO_BYTES = 1024 * 1024
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_RANK_KEY = re.compile(r"^[a-z0-9_-]{1,32}$")
#: Largest accepted earn multiplier of a rank.
MAX_MULTIPLIER = 100
#: Most rewards a program may list: a carousel shows at most 12 bubbles, one is the balance.
MAX_REWARDS = 11
#: Largest cost of a reward, in points (a confirm button carries it in 9 digits).
MAX_COST = 999_999_999
#: Longest a reward's name may be (it heads a Flex bubble and the ticket).
MAX_REWARD_NAME = 40


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
    #: A PNG or JPEG drawn on the card image, or None.
    logo: Path | None = None
    #: The store name English profiles read (``card.store_name_en``; default: store_name).
    store_name_en: str = ""

    def store_label(self, language: str) -> str:
        """The store name in ``language``."""
        return self.store_name_en if language == "en" and self.store_name_en else self.store_name


_TWO_YEARS = Duration(months=24)


@dataclass(frozen=True)
class PointsPolicy:
    """How long granted points live: per-grant lots, optionally to the end of the month."""

    lifetime: Duration
    end_of_month: bool
    #: How long history entries stay in Redis; the daily sweep archives older ones.
    history_retention: Duration = _TWO_YEARS

    def expiry_for(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        """When a lot earned at ``earned_at`` expires (it is live while now < expiry)."""
        expiry = self.lifetime.after(earned_at.astimezone(zone))
        if self.end_of_month:
            # Round up to the end of the expiry month: "valid until the end of November".
            return start_of_next_month(expiry - _ONE_MICROSECOND, zone)
        return expiry


@dataclass(frozen=True)
class RankTier:
    """A rank: reached with ``threshold`` JPY of spend over the window, earns ``multiplier``x."""

    key: str
    name: str
    name_en: str
    color: str
    threshold: int
    multiplier: Fraction


@dataclass(frozen=True)
class Ranks:
    """Rank tiers, lowest first (the first has threshold 0), over a rolling spend window."""

    tiers: tuple[RankTier, ...]
    window: Duration

    def for_spend(self, spend: int) -> RankTier:
        """The highest tier whose threshold ``spend`` reaches."""
        reached = self.tiers[0]
        for tier in self.tiers:
            if spend >= tier.threshold:
                reached = tier
        return reached

    def next_after(self, tier: RankTier) -> RankTier | None:
        """The tier above ``tier``, or None at the top."""
        index = self.tiers.index(tier)
        return self.tiers[index + 1] if index + 1 < len(self.tiers) else None


@dataclass(frozen=True)
class Reminders:
    """When to remind shoppers of expiring points: offsets before expiry, at a local hour."""

    offsets: tuple[Duration, ...]
    send_hour: int
    #: Local span in which reminders and notices wait for its end (None: no quiet hours).
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True)
class Reward:
    """Something a ticket gives: exchanged for ``cost`` points (None: goal tickets only),
    usable for ``valid`` after it is issued, at most ``stock`` of them (None: no limit)."""

    key: str
    name: str
    name_en: str
    cost: int | None
    valid: Duration
    stock: int | None = None
    #: A PNG or JPEG shown in the rewards list, or None.
    image: Path | None = None

    def label(self, language: str) -> str:
        """The reward's name in ``language``."""
        return self.name_en if language == "en" else self.name

    def expiry_for(self, issued_at: int, zone: ZoneInfo) -> int:
        """When a ticket issued at ``issued_at`` (unix s) stops being usable (unix s); months
        count in the program's time zone ``zone``."""
        issued = datetime.fromtimestamp(issued_at, UTC).astimezone(zone)
        return int(self.valid.after(issued).timestamp())


@dataclass(frozen=True)
class VisitRules:
    """Check-ins at a store's entrance: ``points`` each, at most one per store per local day
    and ``monthly_cap`` a calendar month over all stores; the entrance screen's code changes
    every ``code_window`` seconds."""

    points: int = 0
    monthly_cap: int = 8
    code_window: int = 30


@dataclass(frozen=True)
class MessageRules:
    """Notices to members (``notice send``): whether a shopper must opt in first, and the local
    hours they may go out in (None: any time)."""

    opt_in: bool = False
    hours: QuietHours | None = None


@dataclass(frozen=True)
class Goal:
    """A ticket of ``reward`` given by itself, once, after ``visits`` check-ins or on reaching
    the rank ``rank`` (exactly one of the two is set)."""

    reward: str
    visits: int | None = None
    rank: str | None = None

    @property
    def goal_id(self) -> str:
        """What makes the goal once-only: its condition and reward (not its place in the file)."""
        condition = f"visits:{self.visits}" if self.visits is not None else f"rank:{self.rank}"
        return f"{condition}:{self.reward}"


@dataclass(frozen=True)
class Program:
    """A validated loyalty program."""

    name: str
    timezone: ZoneInfo
    earn: EarnRule
    points: PointsPolicy
    ranks: Ranks
    reminders: Reminders
    card: CardDesign
    code_mode: str
    #: How long a rotating card code stays valid, in seconds.
    code_window: int = 300
    #: The first two digits of new member numbers ("20"-"29").
    number_prefix: str = DEFAULT_PREFIX
    #: What tickets give, in the order the rewards list shows them.
    rewards: tuple[Reward, ...] = ()
    #: Tickets given by themselves (after visits, on reaching a rank).
    goals: tuple[Goal, ...] = ()
    #: How long before a ticket's last moment a reminder goes (offsets not shorter than a
    #: reward's lifetime are skipped for its tickets).
    ticket_reminders: tuple[Duration, ...] = ()
    #: Check-ins at the entrance (``[visits]``).
    visits: VisitRules = VisitRules()
    #: Notices to members (``[messages]``).
    messages: MessageRules = MessageRules()

    def reward(self, key: str) -> Reward | None:
        """The reward named ``key``, or None."""
        return next((r for r in self.rewards if r.key == key), None)

    def rank_goals(self, rank_key: str) -> tuple[Goal, ...]:
        """The goals reaching the rank ``rank_key`` gives."""
        return tuple(g for g in self.goals if g.rank == rank_key)

    def visit_goals(self) -> tuple[Goal, ...]:
        """The goals counted in check-ins, fewest visits first."""
        return tuple(sorted((g for g in self.goals if g.visits is not None), key=_visits_of))


_ONE_MICROSECOND = datetime.resolution
#: Shortest and longest accepted ``visits.code_window``, in seconds.
MIN_CODE_WINDOW, MAX_CODE_WINDOW = 10, 600


def _visits_of(goal: Goal) -> int:
    return goal.visits or 0


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
    return parse_program(raw, source=str(path), base=path.parent)


def parse_program(
    raw: dict[str, Any], source: str = "program", base: Path | None = None
) -> Program:
    """Validate a parsed program document, collecting every problem before raising.

    Relative file names (``card.logo``) are taken from ``base``, the program file's folder."""
    reader = _Reader(raw, source)
    reader.problems += unknown_keys(raw, source)
    name = reader.text("program.name")
    tz_name = reader.text("program.timezone", default="Asia/Tokyo")
    timezone = _zone(reader, tz_name)
    earn = EarnRule(
        points=reader.integer("earn.points", default=1, minimum=0),
        per_yen=reader.integer("earn.per_yen", default=100, minimum=1),
        rounding=reader.choice("earn.rounding", ROUNDING_MODES, default="floor"),
        exclude_points_used=reader.boolean("earn.exclude_points_used", default=True),
    )
    store_name = reader.text("card.store_name", default=name or "-")
    card = CardDesign(
        store_name=store_name,
        background=reader.color("card.background", default="#06C755"),
        foreground=reader.color("card.foreground", default="#FFFFFF"),
        accent=reader.color("card.accent", default="#1E1E1E"),
        logo=_logo(reader, base or Path.cwd()),
        store_name_en=reader.text("card.store_name_en", default=store_name),
    )
    code_mode = reader.choice("card.code_mode", CODE_MODES, default="rotating")
    code_window = reader.duration("card.code_window", default="5m")
    if code_window.months or not (
        card_codes.MIN_WINDOW <= code_window.seconds <= card_codes.MAX_WINDOW
    ):
        reader.problems.append(
            f"{source}: card.code_window = {reader.optional_text('card.code_window')!r} "
            "must be from '1m' to '24h'"
        )
    number_prefix = reader.choice("card.number_prefix", PREFIXES, default=DEFAULT_PREFIX)
    points = PointsPolicy(
        lifetime=reader.duration("points.lifetime", default="365d"),
        end_of_month=reader.boolean("points.end_of_month", default=False),
        history_retention=reader.duration("points.history_retention", default="24mo"),
    )
    if points.history_retention.approx_seconds() < points.lifetime.approx_seconds():
        # The sweep visits a member when a lot expires: a shorter retention would leave
        # history older than it until then, and archive the earn entry of a live lot.
        reader._bad(
            "points.history_retention",
            reader._get("points.history_retention", "24mo"),
            f"at least points.lifetime ({reader._get('points.lifetime', '365d')!r})",
        )
    ranks = Ranks(tiers=_tiers(reader), window=reader.duration("ranks.window", default="365d"))
    reminders = Reminders(
        offsets=tuple(
            reader.duration(f"reminders.offsets[{i}]", default=raw_offset, value=raw_offset)
            for i, raw_offset in enumerate(reader.array("reminders.offsets", ["30d", "7d"]))
        ),
        send_hour=reader.integer("reminders.send_hour", default=10, minimum=0, maximum=23),
        quiet_hours=reader.quiet_hours("reminders.quiet_hours", default="21:00-09:00"),
    )
    ticket_reminders = tuple(
        reader.duration(f"reminders.ticket_offsets[{i}]", default=raw_offset, value=raw_offset)
        for i, raw_offset in enumerate(reader.array("reminders.ticket_offsets", ["3d"]))
    )
    rewards = _rewards(reader, base or Path.cwd())
    goals = _goals(reader, rewards, ranks)
    visits = VisitRules(
        points=reader.integer("visits.points", default=0, minimum=0, maximum=100_000),
        monthly_cap=reader.integer("visits.monthly_cap", default=8, minimum=1, maximum=31 * 50),
        code_window=reader.duration("visits.code_window", default="30s").seconds,
    )
    messages = MessageRules(
        opt_in=reader.boolean("messages.opt_in", default=False),
        hours=reader.quiet_hours("messages.hours", default="09:00-20:00"),
    )
    if not MIN_CODE_WINDOW <= visits.code_window <= MAX_CODE_WINDOW:
        reader.problems.append(
            f"{source}: visits.code_window = {reader.optional_text('visits.code_window')!r} "
            "must be from '10s' to '10m'"
        )
    if reader.problems:
        raise ProgramError(reader.problems)
    assert timezone is not None
    return Program(
        name=name,
        timezone=timezone,
        earn=earn,
        points=points,
        ranks=ranks,
        reminders=reminders,
        card=card,
        code_mode=code_mode,
        code_window=code_window.seconds,
        number_prefix=number_prefix,
        rewards=rewards,
        goals=goals,
        ticket_reminders=ticket_reminders,
        visits=visits,
        messages=messages,
    )


_DEFAULT_TIERS = [{"key": "regular", "name": "レギュラー", "name_en": "Regular", "threshold": 0}]


def _tiers(reader: _Reader) -> tuple[RankTier, ...]:
    """Rank tiers from ``[[ranks.tiers]]``: keys unique, thresholds rising from 0."""
    tiers: list[RankTier] = []
    for i, raw in enumerate(reader.array("ranks.tiers", _DEFAULT_TIERS)):
        where = f"ranks.tiers[{i}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{reader.source}: {where} must be a table")
            continue
        sub = _Reader(raw, reader.source, prefix=where + ".")
        tier = RankTier(
            key=sub.text("key"),
            name=sub.text("name"),
            name_en=sub.text("name_en", default=raw.get("name", "")),
            color=sub.color("color", default="#9E9E9E"),
            threshold=sub.integer("threshold", default=0, minimum=0),
            multiplier=sub.multiplier("multiplier", default=1),
        )
        reader.problems += sub.problems
        if tier.key and not _RANK_KEY.match(tier.key):
            reader.problems.append(
                f"{reader.source}: {where}.key = {tier.key!r} must be 1-32 of a-z, 0-9, '_', '-'"
            )
        tiers.append(tier)
    if not tiers:
        reader.problems.append(f"{reader.source}: ranks.tiers must list at least one rank")
        return ()
    if tiers[0].threshold != 0:
        reader.problems.append(f"{reader.source}: ranks.tiers[0].threshold must be 0")
    for before, after in itertools.pairwise(tiers):
        if after.threshold <= before.threshold:
            reader.problems.append(
                f"{reader.source}: ranks.tiers thresholds must rise "
                f"({before.key} {before.threshold} then {after.key} {after.threshold})"
            )
    if len({t.key for t in tiers}) != len(tiers):
        reader.problems.append(f"{reader.source}: ranks.tiers keys must be unique")
    return tuple(tiers)


def _rewards(reader: _Reader, base: Path) -> tuple[Reward, ...]:
    """Rewards from ``[[rewards]]``: keys unique, costs and stock whole numbers."""
    rewards: list[Reward] = []
    for i, raw in enumerate(reader.array("rewards", [])):
        where = f"rewards[{i}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{reader.source}: {where} must be a table")
            continue
        sub = _Reader(raw, reader.source, prefix=where + ".")
        key = sub.text("key")
        name = sub.text("name")
        cost = (
            sub.integer("cost", default=0, minimum=1, maximum=MAX_COST) if "cost" in raw else None
        )
        stock = sub.integer("stock", default=0, minimum=0) if "stock" in raw else None
        valid = sub.duration("valid", default="30d")
        reward = Reward(
            key=key,
            name=name,
            name_en=sub.text("name_en", default=raw.get("name", "")),
            cost=cost,
            valid=valid,
            stock=stock,
            image=_image_file(sub, "image", base),
        )
        reader.problems += sub.problems
        if key and not _RANK_KEY.match(key):
            reader.problems.append(
                f"{reader.source}: {where}.key = {key!r} must be 1-32 of a-z, 0-9, '_', '-'"
            )
        for label, value in (("name", reward.name), ("name_en", reward.name_en)):
            if len(value) > MAX_REWARD_NAME:
                reader.problems.append(
                    f"{reader.source}: {where}.{label} must be at most {MAX_REWARD_NAME} "
                    f"characters (the ticket shows it whole)"
                )
        rewards.append(reward)
    if len(rewards) > MAX_REWARDS:
        reader.problems.append(f"{reader.source}: rewards may list at most {MAX_REWARDS}")
    if len({r.key for r in rewards}) != len(rewards):
        reader.problems.append(f"{reader.source}: rewards keys must be unique")
    return tuple(rewards)


def _goals(reader: _Reader, rewards: tuple[Reward, ...], ranks: Ranks) -> tuple[Goal, ...]:
    """Goal tickets from ``[[goals]]``: a known reward, and either ``visits`` or ``rank``."""
    goals: list[Goal] = []
    known_rewards = {r.key for r in rewards}
    known_ranks = [t.key for t in ranks.tiers]
    for i, raw in enumerate(reader.array("goals", [])):
        where = f"goals[{i}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{reader.source}: {where} must be a table")
            continue
        sub = _Reader(raw, reader.source, prefix=where + ".")
        reward = sub.text("reward")
        visits = sub.integer("visits", default=1, minimum=1) if "visits" in raw else None
        rank = sub.text("rank") if "rank" in raw else None
        reader.problems += sub.problems
        if reward and reward not in known_rewards:
            reader.problems.append(
                f"{reader.source}: {where}.reward = {reward!r} is not a key of [[rewards]]"
            )
        if (visits is None) == (rank is None):
            reader.problems.append(f"{reader.source}: {where} needs one of visits = N, rank = KEY")
        elif rank and rank not in known_ranks:
            reader.problems.append(
                f"{reader.source}: {where}.rank = {rank!r} must be one of " + ", ".join(known_ranks)
            )
        elif known_ranks and rank == known_ranks[0]:
            reader.problems.append(
                f"{reader.source}: {where}.rank = {rank!r} is the first rank, which every "
                "member has from the start; give a welcome ticket with visits = 1 instead"
            )
        goals.append(Goal(reward, visits, rank))
    if len({g.goal_id for g in goals}) != len(goals):
        reader.problems.append(f"{reader.source}: goals must not repeat a condition and reward")
    return tuple(goals)


def _logo(reader: _Reader, base: Path) -> Path | None:
    """``card.logo``: an existing PNG or JPEG file of at most MAX_LOGO_BYTES, or None."""
    return _image_file(reader, "card.logo", base)


def _image_file(reader: _Reader, key: str, base: Path) -> Path | None:
    """An optional image file beside the program: PNG or JPEG of at most MAX_LOGO_BYTES."""
    name = reader.optional_text(key)
    if name is None:
        return None
    path = base / name
    where = f"{reader.source}: {reader.prefix}{key} = {name!r}"
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
        size = path.stat().st_size
    except OSError:
        reader.problems.append(f"{where}: no such file ({path})")
        return None
    if not head.startswith(_LOGO_SIGNATURES) or size > MAX_LOGO_BYTES:
        reader.problems.append(f"{where} must be a PNG or JPEG file of at most 1 MB")
        return None
    return path


def _zone(reader: _Reader, name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.problems.append(f"{reader.source}: program.timezone = {name!r} is not a time zone")
        return None


#: Every table of the program file and the keys it may hold ("" is the top level). Array
#: tables (``[[ranks.tiers]]``, ``[[rewards]]``, ``[[goals]]``) are checked entry by entry.
#: Anything else is an error naming the nearest known key: a typo must never fall back to a
#: default in silence.
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "program",
        "earn",
        "points",
        "ranks",
        "reminders",
        "card",
        "rewards",
        "goals",
        "visits",
        "messages",
    ),
    "program": ("name", "timezone"),
    "earn": ("points", "per_yen", "rounding", "exclude_points_used"),
    "points": ("lifetime", "end_of_month", "history_retention"),
    "ranks": ("window", "tiers"),
    "ranks.tiers": ("key", "name", "name_en", "color", "threshold", "multiplier"),
    "reminders": ("offsets", "send_hour", "quiet_hours", "ticket_offsets"),
    "card": (
        "store_name",
        "store_name_en",
        "code_mode",
        "code_window",
        "number_prefix",
        "logo",
        "background",
        "foreground",
        "accent",
    ),
    "rewards": ("key", "name", "name_en", "cost", "valid", "stock", "image"),
    "goals": ("reward", "visits", "rank"),
    "visits": ("points", "monthly_cap", "code_window"),
    "messages": ("opt_in", "hours"),
}
#: The tables written ``[[name]]``: a list of tables.
ARRAY_TABLES = frozenset({"ranks.tiers", "rewards", "goals"})


def unknown_keys(raw: dict[str, Any], source: str) -> list[str]:
    """A problem for every section or key of ``raw`` that KNOWN_KEYS does not list, naming
    the nearest known key (or the table a key belongs in); sections of the wrong shape too."""
    problems: list[str] = []

    def walk(node: dict[str, Any], table: str, where: str) -> None:
        for key, value in node.items():
            path = f"{table}.{key}" if table else key
            shown = f"{where}.{key}" if where else key
            if key not in KNOWN_KEYS[table]:
                problems.append(f"{source}: {_unknown(shown, key, table)}")
            elif path in ARRAY_TABLES:
                if isinstance(value, list):
                    for i, entry in enumerate(value):
                        if isinstance(entry, dict):
                            walk(entry, path, f"{shown}[{i}]")
                # Not a list, or entries not tables: the reader names those.
            elif path in KNOWN_KEYS:
                if isinstance(value, dict):
                    walk(value, path, shown)
                else:
                    problems.append(f"{source}: {shown} must be a table ([{path}])")

    walk(raw, "", "")
    return problems


def _unknown(shown: str, key: str, table: str) -> str:
    """What to say about an unknown ``key`` at ``shown`` in ``table``."""
    kind = "section" if not table else "key"
    known = KNOWN_KEYS[table]
    elsewhere = [t for t, names in KNOWN_KEYS.items() if t and key in names]
    if elsewhere:
        home = f"[[{elsewhere[0]}]]" if elsewhere[0] in ARRAY_TABLES else f"[{elsewhere[0]}]"
        return f"unknown {kind} {shown!r}: {key} belongs in {home}"
    near = difflib.get_close_matches(key.casefold(), known, n=1, cutoff=0.6)
    if near:
        prefix = shown[: len(shown) - len(key)]
        return f"unknown {kind} {shown!r}: did you mean {prefix + near[0]!r}?"
    return f"unknown {kind} {shown!r}; known here: " + ", ".join(known)


class _Reader:
    """Typed look-ups of dotted keys that record a problem instead of raising."""

    _MISSING = object()

    def __init__(self, raw: dict[str, Any], source: str, prefix: str = "") -> None:
        self.raw = raw
        self.source = source
        self.prefix = prefix
        self.problems: list[str] = []

    def _get(self, key: str, default: Any) -> Any:
        node: Any = self.raw
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is self._MISSING:
                    self.problems.append(f"{self.source}: {self.prefix}{key} is missing")
                return default
            node = node[part]
        return node

    def _bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{self.source}: {self.prefix}{key} = {value!r} must be {expected}")

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if value is default and default is self._MISSING:
            return ""
        if not isinstance(value, str) or not value.strip():
            self._bad(key, value, "a non-empty string")
            return ""
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._get(key, None)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            self._bad(key, value, "a non-empty string")
            return None
        return value

    def integer(self, key: str, default: int, minimum: int, maximum: int | None = None) -> int:
        value = self._get(key, default)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        if not ok or (maximum is not None and value > maximum):
            limit = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            self._bad(key, value, f"an integer {limit}")
            return default
        return value

    def duration(self, key: str, default: str, value: Any = _MISSING) -> Duration:
        raw = self._get(key, default) if value is self._MISSING else value
        try:
            return parse_duration(raw)
        except ValueError as exc:
            self._bad(key, raw, str(exc))
            return parse_duration(default) if isinstance(default, str) else Duration(seconds=1)

    def quiet_hours(self, key: str, default: str) -> QuietHours | None:
        value = self._get(key, default)
        try:
            return parse_quiet_hours(value)
        except ValueError as exc:
            self._bad(key, value, str(exc))
            return parse_quiet_hours(default)

    def array(self, key: str, default: list[Any]) -> list[Any]:
        value = self._get(key, default)
        if not isinstance(value, list):
            self._bad(key, value, "a list")
            return []
        return value

    def multiplier(self, key: str, default: int) -> Fraction:
        value = self._get(key, default)
        try:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidOperation
            # Through Decimal(str()) so that 1.1 means exactly 11/10, not the nearest float.
            exact = Fraction(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            exact = Fraction(-1)
        if not 0 < exact <= MAX_MULTIPLIER:
            self._bad(key, value, f"a number above 0 and at most {MAX_MULTIPLIER}")
            return Fraction(1)
        return exact

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
