"""Fixtures for check-ins: a program with visit points, a monthly cap of 3 and a visit goal,
two stores with a beacon each, members, and a clock."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.support.browser import browser, chrome  # noqa: F401 - fixtures for the screen test
from tests.support.moments import DAY, T0, TOKYO  # noqa: F401 - the tests import them from here

HWID_1, HWID_2 = "0123456789", "abcdef0123"

PROGRAM = """
[program]
name = "テスト店"
timezone = "Asia/Tokyo"

[points]
lifetime = "40d"

[reminders]
quiet_hours = "off"

[visits]
points = 5
monthly_cap = 3
code_window = "30s"

[[rewards]]
key = "visit-gift"
name = "来店プレゼント"
valid = "30d"

[[goals]]
visits = 2
reward = "visit-gift"
"""


@pytest.fixture
def program_text() -> str:
    """The visits program."""
    return PROGRAM


@pytest.fixture
def stores(services: Services) -> tuple[str, str]:
    """Stores S001 and S002, each with a beacon at its entrance."""
    services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    services.visits.add_beacon(HWID_1, "S001")
    services.visits.add_beacon(HWID_2, "S002")
    return "S001", "S002"


def balance(services: Services, member) -> int:
    standing = services.ledger.maintain(member.member_id, services.clock())
    assert standing is not None
    return standing.balance
