"""Where the program asks shoppers to opt in to offers: the welcome asks, and only a yes lets
notices reach them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.operations import campaigns
from bot.operations.campaigns import Segment
from tests.campaigns.test_consent import _reply
from tests.conftest import make_settings
from tests.support import events


@pytest.fixture
def opt_in_program(tmp_path: Path) -> Path:
    path = tmp_path / "program.toml"
    text = DEFAULT_PROGRAM.read_text(encoding="utf-8").replace(
        'logo = "logo.png"', f'logo = "{DEFAULT_PROGRAM.parent / "logo.png"}"'
    )
    path.write_text(text + '\n[messages]\nopt_in = true\nhours = "off"\n', encoding="utf-8")
    return path


@pytest.fixture
def settings(redis_server, fake_line, redis_client, opt_in_program):
    return make_settings(redis_server.url, fake_line.url, LOYALTY_PROGRAM=str(opt_in_program))


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
