"""The entrance screen page and its QR code, the admin commands for beacons, screens and
posters."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import zxingcpp
from flask.testing import FlaskCliRunner
from PIL import Image

from bot import create_app
from bot.operations import visits
from tests.support import events
from tests.visits.conftest import HWID_1, T0, balance


def _decoded(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found.text


def _message_in(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "line.me")
    assert parts.path == "/R/oaMessage/%40sandbox/"  # the fake LINE's basic ID, escaped
    return unquote(parts.query)


@pytest.fixture
def screen(services, stores):
    return urlsplit(visits.screen_url(services, "S001")).path


def test_the_screen_shows_a_qr_code_that_checks_in(client, screen, say, member, services, clock):
    page = client.get(screen)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "渋谷店" in page.text
    assert "来店チェックイン" in page.text
    state = client.get(screen + "/state.json").json
    assert state["changes_in"] == 30
    image = client.get(state["image"])
    assert image.mimetype == "image/png"
    message = _message_in(_decoded(image.data))
    assert message.startswith("チェックイン S001 ")
    [reply] = say(events.text(member.line_user_id, message))
    assert "渋谷店でチェックインしました" in reply["text"]
    assert balance(services, member) == 5


def test_the_screen_shows_a_new_code_after_the_window(client, screen, services, clock):
    first = client.get(screen + "/state.json").json
    clock(T0 + 30)
    second = client.get(screen + "/state.json").json
    assert second["step"] == first["step"] + 1
    assert _decoded(client.get(first["image"]).data) != _decoded(client.get(second["image"]).data)


@pytest.mark.parametrize("suffix", ["", "/state.json", "/qr.png"])
def test_a_tampered_screen_url_is_404(client, screen, suffix):
    assert client.get(screen[:-2] + "xx" + suffix).status_code == 404


@pytest.fixture
def cli(app) -> FlaskCliRunner:
    return app.test_cli_runner()


def test_beacons_are_added_moved_listed_and_removed(cli, services, stores):
    assert "registered at S001" in cli.invoke(args=["store", "beacon", "add", "s001",
                                                   "AAAAAAAAAA"]).output  # fmt: skip
    assert services.visits.beacon_store("aaaaaaaaaa") == "S001"
    moved = cli.invoke(args=["store", "beacon", "add", "S002", "aaaaaaaaaa"])
    assert "moved from S001 to S002" in moved.output
    listed = cli.invoke(args=["store", "beacon", "list"]).output
    assert "S002  aaaaaaaaaa" in listed
    assert f"S001  {HWID_1}" in listed
    assert "removed" in cli.invoke(args=["store", "beacon", "remove", "aaaaaaaaaa"]).output
    assert services.visits.beacon_store("aaaaaaaaaa") is None
    again = cli.invoke(args=["store", "beacon", "remove", "aaaaaaaaaa"])
    assert "was not registered" in again.output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["store", "beacon", "add", "S001", "xyz"], "10 hexadecimal digits"),
        (["store", "beacon", "add", "S404", "0123456789"], "no store S404"),
        (["store", "checkin", "S404"], "no store S404"),
    ],
)
def test_bad_beacon_and_checkin_commands_are_clear_errors(cli, services, stores, args, error):
    result = cli.invoke(args=args)
    assert result.exit_code != 0
    assert error in result.output
    assert services.visits.beacon_store("0123456789") == "S001"  # nothing changed


def test_checkin_prints_the_screen_url_and_writes_a_poster_for_its_day(
    cli, services, stores, tmp_path, say, member, clock
):
    poster = tmp_path / "poster.png"
    result = cli.invoke(args=["store", "checkin", "S001", "--poster", str(poster)])
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if "/checkin/" in line)
    assert urlsplit(url).path == urlsplit(visits.screen_url(services, "S001")).path
    with Image.open(poster) as image:
        assert image.size == (1240, 1754)
    message = _message_in(_decoded(poster.read_bytes()))
    assert message.startswith("チェックイン S001 20270301-")
    [reply] = say(events.text(member.line_user_id, message))
    assert "チェックインしました" in reply["text"]
    later = tmp_path / "later.png"
    cli.invoke(args=["store", "checkin", "S001", "--poster", str(later), "--day", "2027-03-02"])
    assert "20270302-" in _message_in(_decoded(later.read_bytes()))


def test_the_query_of_the_link_is_only_the_message(services, stores):
    code, _ = visits.screen_code(services, "S001")
    link = visits.entrance_link(services, "S001", code)
    assert parse_qsl(urlsplit(link).query, keep_blank_values=True) == [
        (f"チェックイン S001 {code}", "")
    ]


def test_app_factory_serves_the_screen_with_production_settings(settings, stores, services):
    app = create_app({"SETTINGS": settings})
    path = urlsplit(visits.screen_url(services, "S001")).path
    assert app.test_client().get(path).status_code == 200


def test_rotate_makes_a_new_screen_url_and_the_old_one_stops(cli, client, services, stores,
                                                            screen):  # fmt: skip
    assert client.get(screen).status_code == 200
    result = cli.invoke(args=["store", "checkin", "S001", "--rotate"])
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if "/checkin/" in line)
    assert client.get(screen).status_code == 404
    assert client.get(screen + "/qr.png").status_code == 404
    assert client.get(urlsplit(url).path).status_code == 200
    # Printing the URL again without --rotate gives the same one.
    again = cli.invoke(args=["store", "checkin", "S001"]).output
    assert urlsplit(url).path in again
