"""Fixtures for check-ins: a program with visit points, a monthly cap of 3 and a visit goal,
two stores with a beacon each, members, and a clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.services import Services
from tests.conftest import make_settings
from tests.support.browser import browser, chrome  # noqa: F401 - fixtures for the screen test

TOKYO = ZoneInfo("Asia/Tokyo")
#: A Monday at 10:00 in Tokyo.
T0 = int(datetime(2027, 3, 1, 10, 0, tzinfo=TOKYO).timestamp())
DAY = 86400
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
def program_file(tmp_path: Path) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


@pytest.fixture
def settings(redis_server, fake_line, redis_client, program_file) -> Settings:
    return make_settings(redis_server.url, fake_line.url, LOYALTY_PROGRAM=str(program_file))


@pytest.fixture
def clock(services: Services):
    """Set the services' clock: ``clock(t)``."""

    def set_to(moment: int) -> int:
        services.clock = lambda: moment
        return moment

    set_to(T0)
    return set_to


@pytest.fixture
def stores(services: Services) -> tuple[str, str]:
    """Stores S001 and S002, each with a beacon at its entrance."""
    services.store.add_store("S001", "渋谷店")
    services.store.add_store("S002", "新宿店")
    services.visits.add_beacon(HWID_1, "S001")
    services.visits.add_beacon(HWID_2, "S002")
    return "S001", "S002"


@pytest.fixture
def say(post_webhook, run_jobs, fake_line):
    """Send one event and return the bot's reply messages ([] for none)."""

    def send(event) -> list[dict]:
        before = len(fake_line.replies())
        assert post_webhook(event).status_code == 200
        run_jobs()
        replies = fake_line.replies()[before:]
        assert len(replies) <= 1
        return replies[0]["messages"] if replies else []

    return send


def balance(services: Services, member) -> int:
    standing = services.ledger.maintain(member.member_id, services.clock())
    assert standing is not None
    return standing.balance
