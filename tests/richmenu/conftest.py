"""Fixtures for the rich menu tool: the bundled menus (rendered once), LINE and Redis doubles."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import redis

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import CardDesign, load_program
from bot.line.client import LineClient
from bot.store.staff import StaffRegistry
from richmenu.build import DesiredMenu, build_menus
from richmenu.line_ops import RichMenuApi
from richmenu.model import Page, load_definitions
from sandbox.fake_line import FakeLine
from tests.conftest import ACCESS_TOKEN


@pytest.fixture(scope="session")
def design() -> CardDesign:
    """The card colours of the bundled example program."""
    return load_program(DEFAULT_PROGRAM).card


@pytest.fixture(scope="session")
def pages() -> tuple[Page, ...]:
    """The bundled definitions."""
    return load_definitions()


@pytest.fixture(scope="session")
def menus(pages: tuple[Page, ...], design: CardDesign) -> tuple[DesiredMenu, ...]:
    """The bundled menus, checked and rendered once for the whole run."""
    return build_menus(pages, design)


@pytest.fixture(scope="session")
def changed_menus(pages: tuple[Page, ...], design: CardDesign) -> tuple[DesiredMenu, ...]:
    """The bundled menus with the first shopper page and the staff page edited."""
    edited = {
        "shopper-card": {"chat_bar_text": "メニューを開く"},
        "staff-main": {"chat_bar_text": "スタッフ用"},
    }
    return build_menus(
        [dataclasses.replace(page, **edited.get(page.key, {})) for page in pages], design
    )


@pytest.fixture
def line_client(fake_line: FakeLine) -> Iterator[LineClient]:
    """The bot's LINE client pointed at the fake platform."""
    client = LineClient(ACCESS_TOKEN, fake_line.url)
    yield client
    client.close()


@pytest.fixture
def api(line_client: LineClient) -> RichMenuApi:
    """Rich menu calls against the fake platform."""
    return RichMenuApi(line_client.api)


@pytest.fixture
def registry(redis_client: redis.Redis) -> StaffRegistry:
    """The staff registry on the suite's (flushed) Redis."""
    return StaffRegistry(redis_client)
