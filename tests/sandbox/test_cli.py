"""The sandbox command line against the running sandbox: a shopper with a chosen name and
language, the whole inbox on request, and a photo for the staff scan."""

from __future__ import annotations

import secrets
import time
import urllib.request

import pytest

from tests.sandbox.conftest import LiveSandbox


def _cli(live_sandbox: LiveSandbox, *args: str) -> str:
    done = live_sandbox.run("-m", "sandbox", *args, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _inbox_until(live_sandbox: LiveSandbox, user: str, needle: str, *args: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = _cli(live_sandbox, "--user", user, "inbox", *args)
        if needle in out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never arrived; inbox:\n{out}")


@pytest.fixture
def user() -> str:
    return "U" + secrets.token_hex(16)


def test_follow_with_a_name_and_language_and_the_whole_inbox(live_sandbox, user):
    _cli(live_sandbox, "--user", user, "follow", "--name", "Emma", "--lang", "en")
    out = _inbox_until(live_sandbox, user, "image:")
    assert "Emma" in out
    assert user in out  # the inbox says whose it is
    for _ in range(10):
        _cli(live_sandbox, "--user", user, "tap", "points")
    deadline = time.monotonic() + 30
    while (everything := _cli(live_sandbox, "--user", user, "inbox", "--last", "0")).count(
        "] via "
    ) < 12:
        assert time.monotonic() < deadline, everything
        time.sleep(0.2)
    assert "older messages not shown" not in everything
    last = _cli(live_sandbox, "--user", user, "inbox")
    assert last.count("] via ") == 10
    assert "(2 older messages not shown" in last


def test_a_staff_members_photo_of_a_card_is_read(live_sandbox, user, tmp_path):
    _cli(live_sandbox, "--user", user, "follow")
    image_url = _inbox_until(live_sandbox, user, "image:").split("image: ")[1].split()[0]
    photo = tmp_path / "card.png"
    with urllib.request.urlopen(image_url, timeout=10) as response:  # noqa: S310 - loopback
        photo.write_bytes(response.read())
    store, staff = f"C{secrets.token_hex(3).upper()}", "U" + secrets.token_hex(16)
    for command in (
        ["store", "add", store, "--name", "CLI"],
        ["staff", "add", staff, "--store", store],
    ):
        done = live_sandbox.run("-m", "flask", "--app", "wsgi", *command, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "webhook answered 200" in _cli(live_sandbox, "--user", staff, "photo", str(photo))
    _inbox_until(live_sandbox, staff, "会員番号")


def test_a_photo_that_is_not_one_is_refused_before_sending(live_sandbox, user, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    done = live_sandbox.run("-m", "sandbox", "--user", user, "photo", str(text), timeout=30)
    assert done.returncode != 0
    assert "send a .jpg or .png photo" in done.stdout + done.stderr


def test_make_run_prints_the_page_first(live_sandbox):
    first = live_sandbox.log.read_text().splitlines()[0]
    assert f"open {live_sandbox.url}/_sandbox/ in a browser" in first
