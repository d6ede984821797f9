"""The entrance screen in a real headless browser (Debian's chromium, installed by the test
set-up when missing): its QR code checks a shopper in, it shows a new code after the window by
itself, and it keeps the last code on screen while the network is down."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image
from werkzeug.serving import make_server

from bot.operations import visits
from tests.support import events
from tests.support.browser import wait_for
from tests.visits.conftest import PROGRAM, balance

#: The shortest window the program accepts, so the test sees a change within seconds.
WINDOW = 10


@pytest.fixture
def program_text() -> str:
    return PROGRAM.replace('code_window = "30s"', f'code_window = "{WINDOW}s"')


class LiveServer:
    """The app on a loopback port, which a test can take down and bring back."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = 0
        self._server = None

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def live(app) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


def _shown_message(driver) -> str | None:
    """The check-in message in the QR code the page shows, or None while none is readable."""
    element = driver.find_element("id", "qr")
    if not driver.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", element
    ):
        return None
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(element.screenshot_as_png)))
    return unquote(urlsplit(found[0].text).query) if found else None


def test_the_screen_shows_codes_that_check_in_and_change_by_themselves(
    browser, live, services, stores, say, member
):
    path = urlsplit(visits.screen_url(services, "S001")).path
    browser.get(f"http://127.0.0.1:{live.port}{path}")
    assert "渋谷店" in browser.page_source
    first = wait_for(browser, _shown_message)
    assert first.startswith("チェックイン S001 ")
    [reply] = say(events.text(member.line_user_id, first))
    assert "渋谷店でチェックインしました" in reply["text"]
    assert balance(services, member) == 5
    second = wait_for(browser, lambda d: (m := _shown_message(d)) != first and m, WINDOW * 3)
    assert second.startswith("チェックイン S001 ")

    # The network goes away: the page says so and keeps the code it has on screen.
    live.stop()
    offline = browser.find_element("id", "offline")
    wait_for(browser, lambda d: offline.value_of_css_property("visibility") == "visible", 20)
    assert _shown_message(browser) == second
    live.start()  # back on the same port
    wait_for(browser, lambda d: offline.value_of_css_property("visibility") == "hidden", 20)
    third = wait_for(browser, lambda d: (m := _shown_message(d)) not in (second, None) and m,
                     WINDOW * 3)  # fmt: skip
    assert third.startswith("チェックイン S001 ")
