"""A real headless browser for tests of the app's pages: Debian's Chromium, driven by Selenium.

Nothing on PyPI ships a browser that runs here without a download of its own, so the set-up
installs Debian's ``chromium`` and ``chromium-driver`` with apt-get when they are missing
(as root; anyone else gets a skip that says what to install). Use it from a conftest::

    from tests.support.browser import browser, chrome  # noqa: F401 - fixtures

    def test_page(browser, live_url):
        browser.get(f"{live_url}/some/page")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ready"))

``chrome`` is one browser for the whole run; ``browser`` hands it to a test with a blank
tab, its storage cleared, and checks that the page logged no JavaScript error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

#: Debian's packages: the browser and the matching WebDriver.
PACKAGES = ("chromium", "chromium-driver")
#: Where Debian puts them.
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
#: Seconds apt-get may take (a first install downloads about 100 MB from the Debian mirror).
INSTALL_TIMEOUT = 900
#: The window tests see: wide enough for three phones and the side panel.
WINDOW = (1680, 1050)
#: Seconds wait_for waits unless told otherwise; generous, as the machine is shared.
WAIT_SECONDS = 30

T = TypeVar("T")


def _found(names: tuple[str, ...]) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def _install() -> str | None:
    """apt-get install the packages; None when done, else why it could not."""
    if os.name != "posix" or os.geteuid() != 0:
        return (
            "Debian's chromium and chromium-driver are not installed and the tests do not run "
            "as root to install them: sudo apt-get install -y chromium chromium-driver"
        )
    if shutil.which("apt-get") is None:
        return "chromium and chromedriver are not installed, and there is no apt-get here"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for command in (
        ["apt-get", *lock, "update", "-q"],
        ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    ):
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(command)} failed: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return f"{' '.join(command)} failed: {' / '.join(tail)}"
    return None


def chromium_paths() -> tuple[str, str]:
    """The browser and driver executables, installing them first if needed; skips the test
    (with the reason) when they cannot be had."""
    browser, driver = _found(CHROMIUM_NAMES), _found(DRIVER_NAMES)
    if browser and driver:
        return browser, driver
    problem = _install()
    browser, driver = _found(CHROMIUM_NAMES), _found(DRIVER_NAMES)
    if problem is not None or not browser or not driver:
        pytest.skip(problem or "apt-get ran but chromium or chromedriver is still missing")
    return browser, driver


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium (a Selenium WebDriver) for the whole run."""
    webdriver = pytest.importorskip("selenium.webdriver")
    browser_path, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in (
        "--headless=new",
        "--no-sandbox",  # Chromium's sandbox refuses to run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path, log_output=os.devnull)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chrome) -> Iterator[object]:
    """The shared browser on a blank page with its storage cleared; after the test, fails it
    if the page logged a JavaScript error (an uncaught exception or a failed script)."""
    chrome.get("about:blank")
    chrome.delete_all_cookies()
    chrome.get_log("browser")  # forget what earlier tests logged
    yield chrome
    errors = [
        entry["message"]
        for entry in chrome.get_log("browser")
        if entry["level"] == "SEVERE" and "Uncaught" in entry["message"]
    ]
    # about:blank, or a page that navigated away, has no storage to clear.
    with contextlib.suppress(Exception):
        chrome.execute_script("window.localStorage && window.localStorage.clear()")
    assert not errors, f"JavaScript errors on the page: {errors}"


def wait_for(driver: object, condition: Callable[[object], T], timeout: float = WAIT_SECONDS) -> T:
    """Wait until ``condition(driver)`` is truthy and return it; fail saying what it was. An
    element the page replaced while the condition read it (a re-rendered panel) is read again
    at the next poll."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        wait = WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,))  # fmt: skip
        return wait.until(condition)
    except TimeoutException:
        name = getattr(condition, "__name__", repr(condition))
        raise AssertionError(f"not true within {timeout} s: {name}") from None


def screenshot(driver: object, path: Path) -> Path:
    """Save what the window shows as a PNG (for a failing test, or the README)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path
