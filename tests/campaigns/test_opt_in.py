"""Where the program asks shoppers to opt in to offers: the welcome asks, and only a yes lets
notices reach them."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.operations import campaigns
from bot.operations.campaigns import Segment
from tests.campaigns.test_consent import _reply
from tests.support import events


@pytest.fixture
def program_text() -> str:
    """The example program, asking shoppers to opt in to offers."""
    text = DEFAULT_PROGRAM.read_text(encoding="utf-8").replace(
        'logo = "logo.png"', f'logo = "{DEFAULT_PROGRAM.parent / "logo.png"}"'
    )
    return text + '\n[messages]\nopt_in = true\nhours = "off"\n'


def test_where_opt_in_is_asked_only_a_yes_lets_notices_in(post_webhook, run_jobs, fake_line,
                                                         services):  # fmt: skip
    user = events.user_id()
    messages = _reply(post_webhook, run_jobs, fake_line, events.follow(user))
    question = messages[-1]
    items = [i["action"]["data"] for i in question["quickReply"]["items"]]
    assert items == ["action=settings&promotions=on", "action=settings&promotions=off"]
    member = services.store.member_for_user(user)
    selection = campaigns.resolve(services, Segment(), services.clock())
    assert selection.member_ids == []
    assert selection.left_out["not opted in"] == 1
    _reply(post_webhook, run_jobs, fake_line, events.postback(user, items[0]))
    assert campaigns.resolve(services, Segment(), services.clock()).member_ids == [member.member_id]
