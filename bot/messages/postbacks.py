"""Postback data, packed and unpacked in one place: ``action=<name>[&<field>=<value>...]``.

One frozen dataclass per action carries that action's fields, typed (in the spirit of
aiogram's CallbackData): ``History(before="24").pack()`` gives ``action=history&before=24``.
The wire format is the one that rich menus already deployed on LINE send, URL-encoded with
the action first, so changing it strands them.

Postback data comes from the client and proves nothing: unpacking never raises, and a value
the bot itself would not have packed is refused (``None``), never passed on to a handler.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import MISSING, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl, urlencode

#: LINE's limit on postback data, in characters.
MAX_DATA = 300
#: Most ``&``-separated fields worth reading: every action has at most three besides ``action``.
MAX_FIELDS = 8
#: The field that names the action.
ACTION_FIELD = "action"
#: What every postback starts with (the sandbox's ``tap`` command writes only the rest).
PREFIX = f"{ACTION_FIELD}="


class Action(StrEnum):
    """Every postback action the bot serves; the value is the name on the wire."""

    CARD = "card"
    POINTS = "points"
    HISTORY = "history"
    HELP = "help"
    REWARDS = "rewards"
    TAB = "tab"
    SETTINGS = "settings"
    STAFF_SCAN = "staff_scan"
    STAFF_CODE = "staff_code"
    STAFF_CONFIRM = "staff_confirm"
    STAFF_CANCEL = "staff_cancel"
    STAFF_UNDO = "staff_undo"
    STAFF_TODAY = "staff_today"
    REWARD = "reward"
    EXCHANGE = "exchange"
    TICKETS = "tickets"
    STAFF_TICKET_USE = "staff_ticket_use"
    LEAVE = "leave"


class FieldCodec(Protocol):
    """How one field's value is written on the wire and read back."""

    def encode(self, value: object) -> str | None:
        """The wire text of ``value``, or None when the field cannot carry it."""

    def decode(self, raw: str) -> Any | None:
        """The value ``raw`` stands for, or None when it is not one the bot would send."""


@dataclass(frozen=True)
class Pattern:
    """A text field whose every value matches ``regex`` (the whole value)."""

    regex: re.Pattern[str]

    def encode(self, value: object) -> str | None:
        """``value`` itself, if it is text of the right shape."""
        return value if isinstance(value, str) and self.regex.fullmatch(value) else None

    def decode(self, raw: str) -> str | None:
        """``raw`` itself, if it has the right shape."""
        return raw if self.regex.fullmatch(raw) else None


@dataclass(frozen=True)
class OnOff:
    """A yes/no field written ``on`` or ``off``."""

    def encode(self, value: object) -> str | None:
        """``on`` for True, ``off`` for False."""
        if not isinstance(value, bool):
            return None
        return "on" if value else "off"

    def decode(self, raw: str) -> bool | None:
        """True for ``on``, False for ``off``."""
        return {"on": True, "off": False}.get(raw)


@dataclass(frozen=True)
class Count:
    """A whole number from 0 to 10^9 - 1, written in decimal digits."""

    def encode(self, value: object) -> str | None:
        """The digits of ``value``."""
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9
        return str(value) if ok else None

    def decode(self, raw: str) -> int | None:
        """The number ``raw`` spells, if it is 1-9 ASCII digits."""
        return int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None


#: A history entry id, as the "older" button pages by (its position in the member's history):
#: digits, and '-' as the history has always accepted, at most 40 characters.
ENTRY_ID = Pattern(re.compile(r"[0-9-]{1,40}"))
#: A staff grant's transaction id (``L`` + hex digits, see bot/handlers/staff.py).
TRANSACTION_ID = Pattern(re.compile(r"[0-9A-Za-z]{1,40}"))
#: A rich menu page name (richmenu/validate.py holds page names to the same rule).
PAGE_NAME = Pattern(re.compile(r"[a-z0-9_]{1,32}"))

#: A reward key (bot/domain/program.py holds reward keys to the same rule).
REWARD_KEY = Pattern(re.compile(r"[a-z0-9_-]{1,32}"))
#: The random nonce of an exchange's confirm button (hex).
NONCE = Pattern(re.compile(r"[0-9a-f]{8,32}"))

_ACTIONS: dict[Action, type[Postback]] = {}


def wire(codec: FieldCodec, *, required: bool = False) -> Any:
    """Declare a postback field: its codec, and whether data without it is refused."""
    if required:
        return field(metadata={"codec": codec})
    return field(default=None, metadata={"codec": codec})


@dataclass(frozen=True)
class Postback:
    """Base of the postbacks: ``class Card(Postback, action=Action.CARD)`` registers one."""

    action: ClassVar[Action]

    def __init_subclass__(cls, *, action: Action, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.action = action
        _ACTIONS[action] = cls

    def pack(self) -> str:
        """The postback data; raises ValueError for a value that could not be unpacked."""
        pairs = [(ACTION_FIELD, self.action.value)]
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            raw = spec.metadata["codec"].encode(value)
            if raw is None:
                # No value in the message: it may be data that is not the bot's to log.
                raise ValueError(f"{type(self).__name__}.{spec.name} cannot carry this value")
            pairs.append((spec.name, raw))
        data = urlencode(pairs)
        if len(data) > MAX_DATA:
            raise ValueError(f"{type(self).__name__} packs to more than {MAX_DATA} characters")
        return data


@dataclass(frozen=True)
class Card(Postback, action=Action.CARD):
    """Show the membership card (with a fresh code)."""


@dataclass(frozen=True)
class Points(Postback, action=Action.POINTS):
    """Show the points summary."""


@dataclass(frozen=True)
class History(Postback, action=Action.HISTORY):
    """Show the history: the newest entries, or those older than entry ``before``."""

    before: str | None = wire(ENTRY_ID)


@dataclass(frozen=True)
class Help(Postback, action=Action.HELP):
    """Say what the bot does."""


@dataclass(frozen=True)
class Rewards(Postback, action=Action.REWARDS):
    """Say what rewards there are."""


@dataclass(frozen=True)
class Tab(Postback, action=Action.TAB):
    """A rich menu tab switch to page ``to`` (LINE switches the menu itself)."""

    to: str = wire(PAGE_NAME, required=True)


@dataclass(frozen=True)
class Settings(Postback, action=Action.SETTINGS):
    """Show the settings; ``reminders`` first turns expiry reminders on or off, ``promotions``
    promotional notices (on also says yes where the program asks shoppers to opt in)."""

    reminders: bool | None = wire(OnOff())
    promotions: bool | None = wire(OnOff())


@dataclass(frozen=True)
class StaffScan(Postback, action=Action.STAFF_SCAN):
    """Staff: start a grant by photographing the shopper's card."""


@dataclass(frozen=True)
class StaffCode(Postback, action=Action.STAFF_CODE):
    """Staff: start a grant by typing the card's number."""


@dataclass(frozen=True)
class StaffConfirm(Postback, action=Action.STAFF_CONFIRM):
    """Staff: grant the pending purchase whose transaction id is ``t``."""

    t: str = wire(TRANSACTION_ID, required=True)


@dataclass(frozen=True)
class StaffCancel(Postback, action=Action.STAFF_CANCEL):
    """Staff: drop the pending purchase."""


@dataclass(frozen=True)
class StaffUndo(Postback, action=Action.STAFF_UNDO):
    """Staff: refund the last grant while it can still be undone."""


@dataclass(frozen=True)
class StaffToday(Postback, action=Action.STAFF_TODAY):
    """Staff: count today's grants."""


@dataclass(frozen=True)
class Reward(Postback, action=Action.REWARD):
    """Ask to exchange points for the reward ``r``: shows the confirm step."""

    r: str = wire(REWARD_KEY, required=True)


@dataclass(frozen=True)
class Exchange(Postback, action=Action.EXCHANGE):
    """Exchange ``c`` points for reward ``r``, once per nonce ``n`` (the confirm button's)."""

    r: str = wire(REWARD_KEY, required=True)
    c: int = wire(Count(), required=True)
    n: str = wire(NONCE, required=True)


@dataclass(frozen=True)
class Tickets(Postback, action=Action.TICKETS):
    """Show the shopper's unused tickets."""


@dataclass(frozen=True)
class StaffTicketUse(Postback, action=Action.STAFF_TICKET_USE):
    """Staff: use the pending ticket whose transaction id is ``t``."""

    t: str = wire(TRANSACTION_ID, required=True)


@dataclass(frozen=True)
class Leave(Postback, action=Action.LEAVE):
    """Leave the program: ask to confirm; ``confirm`` on deletes the member's data, if the
    confirm step was shown at ``at`` (unix s) not long ago."""

    confirm: bool | None = wire(OnOff())
    at: str | None = wire(Pattern(re.compile(r"[0-9]{1,12}")))


def unpack(data: object) -> Postback | None:
    """The postback ``data`` names, exactly as the bot packs it; None for anything else."""
    found = _decode(data, lenient=False)
    return found if isinstance(found, Postback) else None


def unpack_lenient(data: object) -> Postback | None:
    """What the webhook serves: as ``unpack``, but optional fields that do not unpack (a bad
    history cursor, an unknown settings choice, a field the action does not take) are dropped
    rather than the whole postback, and of a repeated field the first counts. Unknown actions,
    missing required fields and oversize data still give None."""
    found = _decode(data, lenient=True)
    return found if isinstance(found, Postback) else None


def problem(data: object) -> str | None:
    """Why ``unpack`` refuses ``data`` (for people fixing rich menu definitions), or None."""
    found = _decode(data, lenient=False)
    return found if isinstance(found, str) else None


def _decode(data: object, *, lenient: bool) -> Postback | str:
    """The postback ``data`` names, or a sentence saying why it names none."""
    if not isinstance(data, str):
        return "postback data must be text"
    if len(data) > MAX_DATA:
        return f"is longer than {MAX_DATA} characters"
    try:
        pairs = parse_qsl(data, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        return f"has more than {MAX_FIELDS} fields"
    given: dict[str, str] = {}
    for name, value in pairs:
        if name in given and not lenient:
            return f"repeats {name}="
        given.setdefault(name, value)
    name = given.pop(ACTION_FIELD, None)
    if name is None:
        return f"has no {PREFIX} (the bot picks the handler by it)"
    try:
        action = Action(name)
    except ValueError:
        return f"action {name!r} is not one the bot knows ({', '.join(Action)})"
    return _build(_ACTIONS[action], given, lenient=lenient)


def _build(cls: type[Postback], given: dict[str, str], *, lenient: bool) -> Postback | str:
    """An instance of ``cls`` from the fields besides the action, or why there is none."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        required = spec.default is MISSING
        raw = given.pop(spec.name, None)
        value = None if raw is None else spec.metadata["codec"].decode(raw)
        if value is not None:
            values[spec.name] = value
        elif required:
            return f"action {cls.action.value!r} needs a valid {spec.name}="
        elif raw is not None and not lenient:
            return f"{spec.name}={raw!r} is not valid for action {cls.action.value!r}"
    if given and not lenient:
        return f"action {cls.action.value!r} takes no {', '.join(sorted(given))}"
    return cls(**values)
