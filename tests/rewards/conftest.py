"""Fixtures for rewards: a program with rewards (one with stock, one that lives 30 seconds, one
given by a rank goal), members with points, and a clock."""

from __future__ import annotations

import pytest

from bot.domain.records import Member
from bot.services import Services
from tests.support.events import user_id
from tests.support.moments import DAY, T0, TOKYO  # noqa: F401 - the tests import them from here

PROGRAM = """
[program]
name = "テスト店"
timezone = "Asia/Tokyo"

[earn]
points = 1
per_yen = 100

[points]
lifetime = "40d"

[reminders]
offsets = ["7d"]
send_hour = 10
quiet_hours = "off"
ticket_offsets = ["2d"]

[card]
code_mode = "rotating"

[ranks]
window = "365d"

[[ranks.tiers]]
key = "regular"
name = "レギュラー"
threshold = 0

[[ranks.tiers]]
key = "gold"
name = "ゴールド"
name_en = "Gold"
threshold = 10000

[[rewards]]
key = "coffee"
name = "コーヒー1杯"
name_en = "A coffee"
cost = 50
valid = "10d"

[[rewards]]
key = "bag"
name = "エコバッグ"
cost = 100
valid = "30d"
stock = 3

[[rewards]]
key = "quick"
name = "すぐ消えるクーポン"
cost = 10
valid = "30s"

[[rewards]]
key = "gold-gift"
name = "ゴールド特典"
name_en = "Gold gift"
valid = "30d"

[[goals]]
rank = "gold"
reward = "gold-gift"
"""


@pytest.fixture
def program_text() -> str:
    """The rewards program."""
    return PROGRAM


@pytest.fixture
def new_member(services: Services, clock):
    """Register a shopper with points: ``new_member(points=0, language="ja")``."""

    def make(points: int = 0, language: str = "ja") -> Member:
        member, _ = services.store.register_member(user_id(), "Shopper", language)
        if points:
            give(services, member, points)
        return member

    return make


def give(services: Services, member: Member, points: int, key: str = "") -> None:
    """Add ``points`` as an admin adjustment at the services' clock."""
    status, _ = services.ledger.adjust(
        member_id=member.member_id,
        now=services.clock(),
        op_key=key or f"a:{services.clock()}:{points}",
        amount=points,
        reason="test",
    )
    assert status == "applied"


def balance(services: Services, member: Member) -> int:
    standing = services.ledger.maintain(member.member_id, services.clock())
    assert standing is not None
    return standing.balance
