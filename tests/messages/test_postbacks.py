"""The postback codec: the wire format deployed menus send, round trips, hostile data."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import postbacks
from bot.messages.postbacks import (
    MAX_DATA,
    Action,
    Count,
    History,
    OnOff,
    Pattern,
    Postback,
    Settings,
    StaffConfirm,
    Tab,
    problem,
    unpack,
    unpack_lenient,
)


def _values(spec: dataclasses.Field) -> st.SearchStrategy:
    codec = spec.metadata["codec"]
    if isinstance(codec, OnOff):
        values = st.booleans()
    elif isinstance(codec, Count):
        values = st.integers(min_value=0, max_value=10**9 - 1)
    else:
        assert isinstance(codec, Pattern)
        values = st.from_regex(codec.regex, fullmatch=True)
    return values if spec.default is dataclasses.MISSING else st.none() | values


def _postbacks_of(cls: type[Postback]) -> st.SearchStrategy[Postback]:
    return st.builds(cls, **{spec.name: _values(spec) for spec in dataclasses.fields(cls)})


def _classes() -> list[type[Postback]]:
    return [
        value
        for value in vars(postbacks).values()
        if isinstance(value, type) and issubclass(value, Postback) and value is not Postback
    ]


ANY_POSTBACK = st.one_of([_postbacks_of(cls) for cls in _classes()])


def test_every_action_has_exactly_one_postback_class():
    assert sorted(cls.action for cls in _classes()) == sorted(Action)


@pytest.mark.parametrize(
    ("postback", "data"),
    [
        (postbacks.Card(), "action=card"),
        (postbacks.Points(), "action=points"),
        (History(), "action=history"),
        (History(before="1700000000000-0"), "action=history&before=1700000000000-0"),
        (postbacks.Help(), "action=help"),
        (postbacks.Rewards(), "action=rewards"),
        (Tab(to="rewards"), "action=tab&to=rewards"),
        (Settings(), "action=settings"),
        (Settings(reminders=False), "action=settings&reminders=off"),
        (Settings(reminders=True), "action=settings&reminders=on"),
        (postbacks.StaffScan(), "action=staff_scan"),
        (postbacks.StaffCode(), "action=staff_code"),
        (StaffConfirm(t="L0123abcd0123456789ab"), "action=staff_confirm&t=L0123abcd0123456789ab"),
        (postbacks.StaffCancel(), "action=staff_cancel"),
        (postbacks.StaffUndo(), "action=staff_undo"),
        (postbacks.StaffToday(), "action=staff_today"),
    ],
)
def test_the_wire_format_is_the_one_deployed_menus_send(postback, data):
    assert postback.pack() == data
    assert unpack(data) == postback


@given(ANY_POSTBACK)
def test_every_postback_round_trips(postback):
    data = postback.pack()
    assert data.startswith(postbacks.PREFIX + postback.action.value)
    assert len(data) <= MAX_DATA
    assert unpack(data) == postback
    assert unpack_lenient(data) == postback
    assert problem(data) is None


@pytest.mark.parametrize(
    ("data", "lenient"),
    [
        ("", None),
        ("action=", None),
        ("action=nope", None),
        ("action=Card", None),
        ("action=card ", None),
        ("card", None),
        ("a=b&&&", None),
        ("%%%", None),
        ("action=%ZZ", None),
        ("action=card" * 30, None),
        ("action=card&" + "x=1&" * 80, None),
        ("action=card&x=1", postbacks.Card()),
        ("action=card&action=points", postbacks.Card()),
        ("action=history&before=", History()),
        ("action=history&before=x;FLUSHALL", History()),
        ("action=history&before=" + "1" * 41, History()),
        ("action=history&before=%EF%BC%91", History()),  # a full-width digit
        ("action=history&before=1&before=2", History(before="1")),
        ("action=settings&reminders=maybe", Settings()),
        ("action=settings&reminders=ON", Settings()),
        ("action=tab", None),
        ("action=tab&to=", None),
        ("action=tab&to=../etc", None),
        ("action=staff_confirm", None),
        ("action=staff_confirm&t=", None),
        ("action=staff_confirm&t=x%00y", None),
        ("action=staff_confirm&t=" + "a" * 41, None),
    ],
)
def test_hostile_data_unpacks_to_nothing(data, lenient):
    assert unpack(data) is None
    assert problem(data)
    assert unpack_lenient(data) == lenient


@pytest.mark.parametrize("data", [None, b"action=card", 5, ["action=card"]])
def test_data_that_is_not_text_unpacks_to_nothing(data):
    assert unpack(data) is None
    assert unpack_lenient(data) is None
    assert problem(data)


def test_problems_name_what_is_wrong():
    assert "'crad' is not one the bot knows (card, points," in problem("action=crad")
    assert problem("action=tab") == "action 'tab' needs a valid to="
    assert problem("action=card&x=1") == "action 'card' takes no x"
    assert problem("action=settings&reminders=maybe") == (
        "reminders='maybe' is not valid for action 'settings'"
    )


def _canonical(found: Postback | None) -> None:
    if found is not None:
        assert unpack(found.pack()) == found


@given(st.text(max_size=MAX_DATA + 20))
def test_any_text_unpacks_safely(data):
    strict, lenient = unpack(data), unpack_lenient(data)
    assert (problem(data) is None) == (strict is not None)
    if strict is not None:
        assert lenient == strict
    _canonical(strict)
    _canonical(lenient)


_KEYS = st.sampled_from(["action", "before", "t", "to", "reminders", "x", ""]) | st.text(max_size=5)
_WORDS = st.sampled_from([*Action, "on", "off", "1-0", "L1", "", "card"]) | st.text(max_size=12)


@given(st.lists(st.tuples(_KEYS, _WORDS), max_size=6), st.booleans())
def test_near_miss_fields_unpack_safely(pairs, encode):
    def part(text: str) -> str:
        return quote(text, safe="") if encode else text

    data = "&".join(f"{part(key)}={part(value)}" for key, value in pairs)
    strict, lenient = unpack(data), unpack_lenient(data)
    if strict is not None:
        assert lenient == strict
    _canonical(strict)
    _canonical(lenient)


@pytest.mark.parametrize(
    "postback",
    [
        History(before="x;FLUSHALL"),
        History(before=""),
        Settings(reminders="on"),  # type: ignore[arg-type]
        Tab(to="Rewards"),
        StaffConfirm(t="a" * 41),
    ],
)
def test_pack_refuses_values_it_could_not_unpack(postback):
    with pytest.raises(ValueError, match="cannot carry this value"):
        postback.pack()
