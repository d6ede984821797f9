"""Routing as data: the staff conversation's table, the shopper's routes, and how groups pass."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from linebot.v3.webhooks import Event

from bot.handlers import router, staff
from bot.handlers.base import Context, Input
from bot.handlers.routes import Conversation, Route, Routes
from bot.handlers.staff import ANYWHERE, CONVERSATION, Step
from bot.messages import postbacks
from bot.messages.postbacks import Action
from bot.store.staff import StaffRegistry
from tests.support import events

STAFF_ACTIONS = {action for action in Action if action.value.startswith("staff_")}


def _postback_kinds(routes) -> set:
    return {route.kind for route in routes if isinstance(route.kind, Action)}


def test_the_table_has_routes_for_every_step():
    assert set(CONVERSATION.states) == set(Step)


def test_sessions_in_flight_keep_their_step_names():
    # Redis holds these strings: renaming a step would strand every half-finished grant.
    assert {step.value for step in Step} == {"code", "amount", "confirm", "ticket"}


def test_every_staff_action_works_at_every_step_and_between_grants():
    for step in (None, *Step):
        assert _postback_kinds(CONVERSATION.routes_at(step)) == STAFF_ACTIONS, step
        assert Input.IMAGE in {route.kind for route in CONVERSATION.routes_at(step)}


def test_a_steps_own_routes_come_before_the_fallbacks():
    assert CONVERSATION.routes_at(None) == ANYWHERE
    assert CONVERSATION.routes_at(Step.AMOUNT)[0] == Route(Input.TEXT, staff.take_amount)
    assert CONVERSATION.routes_at(Step.CODE)[-len(ANYWHERE) :] == ANYWHERE


def test_every_action_has_exactly_one_home():
    shopper = _postback_kinds(router.SHOPPER.routes)
    conversation = {kind for kind in CONVERSATION.kinds if isinstance(kind, Action)}
    assert shopper | conversation == set(Action)
    assert not shopper & conversation


def test_input_kinds_and_actions_never_collide():
    # Kinds compare as strings: an action named "text" would be taken for a message.
    assert not {kind.value for kind in Input} & {action.value for action in Action}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("1234567890123456", "1234567890123456"),
        ("1234-5678-9012-3456", "1234567890123456"),
        ("１２３４ ５６７８", "12345678"),
        ("12345", None),
        ("会員証", None),
        ("1280円", None),
        (None, None),
    ],
)
def test_what_reads_as_a_card_code(body, code):
    assert staff.card_code_in(body) == code


def _ctx(**fields) -> Context:
    return Context(services=None, user_id=events.user_id(), member=None, **fields)  # type: ignore[arg-type]


def _say(word: str):
    return lambda ctx: [{"type": "text", "text": word}]


def test_a_conversation_refuses_its_postbacks_to_outsiders_and_passes_their_messages():
    talk = Conversation(
        admit=lambda ctx: None,
        step=lambda ctx: None,
        entry_points=(Route(Action.STAFF_UNDO, _say("undo")), Route(Input.TEXT, _say("text"))),
        states={},
        fallbacks=(),
    )
    assert talk.handle(_ctx(postback=postbacks.StaffUndo())) == []
    assert talk.handle(_ctx(text="hello")) is None
    assert talk.handle(_ctx(postback=postbacks.Card())) is None


def test_a_conversation_routes_by_step_and_the_next_group_gets_what_it_passes():
    talk = Conversation(
        admit=lambda ctx: ctx,
        step=lambda ctx: "asked" if ctx.text == "42" else None,
        entry_points=(Route(Action.STAFF_SCAN, _say("started")),),
        states={"asked": (Route(Input.TEXT, _say("answer")),)},
        fallbacks=(Route(Action.STAFF_CANCEL, _say("cancelled")),),
    )
    after = Routes((Route(Input.TEXT, _say("keyword")),))
    assert talk.handle(_ctx(postback=postbacks.StaffScan())) == _say("started")(None)
    assert talk.handle(_ctx(text="42")) == _say("answer")(None)
    assert talk.handle(_ctx(text="hello")) is None
    assert after.handle(_ctx(text="hello")) == _say("keyword")(None)
    assert talk.handle(_ctx(postback=postbacks.StaffCancel())) is None  # a fallback: in a step


_NEAR_MISSES = st.builds(
    lambda action, extra: f"{postbacks.PREFIX}{action}{extra}",
    st.sampled_from([*Action, "nope", ""]),
    st.sampled_from(["", "&t=x", "&t=", "&before=1", "&before=x", "&to=card", "&reminders=on"])
    | st.text(max_size=20),
)


@given(st.text(max_size=310) | _NEAR_MISSES, st.sampled_from(["stranger", "member", "staff"]))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_postback_from_anyone_gets_a_reply_list_and_no_exception(services, data, who):
    user = events.user_id()
    if who != "stranger":
        services.store.register_member(user, "Hanako", "ja")
    if who == "staff":
        StaffRegistry(services.store.redis).add(user, "S001")
    event = Event.from_dict(events.postback(user, data[:300]))

    reply = router.dispatch(services, event)

    assert isinstance(reply, list)
    assert len(reply) <= 5
    if who == "stranger" and data.startswith(postbacks.PREFIX + "staff_"):
        assert reply == []
