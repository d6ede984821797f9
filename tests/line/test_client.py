"""The LINE client wrapper: message content through the same client, failures logged without PII."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from linebot.v3.messaging import ApiException

from bot.line.client import LineClient
from sandbox.fake_line import FakeLine
from tests.conftest import ACCESS_TOKEN

MESSAGE_ID = "468789577898262530"


@pytest.fixture
def line(fake_line: FakeLine) -> Iterator[LineClient]:
    client = LineClient(ACCESS_TOKEN, fake_line.url)
    yield client
    client.close()


def test_content_is_the_bytes_the_user_sent(line, fake_line):
    fake_line.add_content(MESSAGE_ID, b"\xff\xd8 a photo", "image/jpeg")

    assert line.content(MESSAGE_ID) == b"\xff\xd8 a photo"
    [call] = fake_line.recorded(f"/v2/bot/message/{MESSAGE_ID}/content")
    assert call.status == 200


@pytest.mark.parametrize("status", [404, 500])
def test_content_failures_raise_and_log_the_status_only(line, fake_line, caplog, status):
    path = f"/v2/bot/message/{MESSAGE_ID}/content"
    fake_line.add_content(MESSAGE_ID, b"x")
    fake_line.fail_next(path, status)

    with caplog.at_level(logging.WARNING, "bot.line.client"), pytest.raises(ApiException):
        line.content(MESSAGE_ID)

    [record] = caplog.records
    assert record.getMessage().startswith(f"LINE content failed: status={status} ")
    assert MESSAGE_ID not in caplog.text
