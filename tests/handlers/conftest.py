"""Fixtures of the staff conversation's tests: a shopper with a card, a staff member of S001,
and a way to talk to the bot as either."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bot.store.staff import StaffRegistry
from tests.support import events


@pytest.fixture
def shopper(post_webhook, run_jobs, fake_line, services, client):
    user = events.user_id()
    post_webhook(events.follow(user))
    run_jobs()
    [reply] = fake_line.replies()
    card_url = reply["messages"][1]["contents"]["hero"]["url"]
    member = services.store.member_for_user(user)
    member_png = client.get(urlsplit(card_url).path).data
    fake_line.reset()
    return member, member_png


@pytest.fixture
def staff_user(services, store_key):
    user = events.user_id()
    StaffRegistry(services.store.redis).add(user, "S001")
    return user
