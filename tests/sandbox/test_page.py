"""The sandbox page in a real headless browser, against the whole sandbox ``make run`` starts:
follow, tap, charge at the till, the rich menu after a deploy, the staff scan of a photo."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.support.browser import wait_for

By = pytest.importorskip("selenium.webdriver.common.by").By

SHOPPER = '.phone[data-role="shopper"]'
STAFF = '.phone[data-role="staff"]'


def _open(browser, live_sandbox):
    browser.get(f"{live_sandbox.url}/_sandbox/")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".phone")) == 3)
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "connected")


def _phone(browser, selector: str, index: int = 0):
    return browser.find_elements(By.CSS_SELECTOR, selector)[index]


def _act(phone, act: str) -> None:
    phone.find_element(By.CSS_SELECTOR, f'.phone-actions [data-act="{act}"]').click()


def _bot_messages(phone, kind: str | None = None):
    selector = ".msg.bot" + (f'[data-type="{kind}"]' if kind else "")
    return phone.find_elements(By.CSS_SELECTOR, selector)


def _wait_bot(browser, phone, count: int, kind: str | None = None):
    """Wait until the phone shows at least ``count`` bot messages (of ``kind``)."""

    def arrived(_):
        found = _bot_messages(phone, kind)
        return found if len(found) >= count else None

    arrived.__name__ = f"{count} bot {kind or ''} messages"
    return wait_for(browser, arrived)


def _image_loaded(browser, image) -> bool:
    return browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", image
    )


def _follow(browser, phone):
    _act(phone, "follow")
    messages = _wait_bot(browser, phone, 2)
    card = messages[1]
    hero = card.find_element(By.CSS_SELECTOR, ".flex-hero img")
    wait_for(browser, lambda d: _image_loaded(d, hero))
    return card


def _text_of(messages) -> str:
    return "\n".join(m.text for m in messages)


def test_follow_draws_the_welcome_and_the_card_bubble(browser, live_sandbox):
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    card = _follow(browser, phone)
    welcome = _bot_messages(phone)[0]
    assert welcome.get_attribute("data-type") == "text"
    assert "佐藤 花子さん" in welcome.text
    assert card.get_attribute("data-type") == "flex"
    assert card.get_attribute("data-unknown") is None
    bubble = card.find_element(By.CSS_SELECTOR, ".flex-bubble")
    assert bubble.size["width"] == 300  # a mega bubble, as LINE draws it
    hero = card.find_element(By.CSS_SELECTOR, ".flex-hero .flex-image-frame")
    assert hero.size["width"] == 300
    assert hero.size["height"] > 100
    buttons = card.find_elements(By.CSS_SELECTOR, ".flex-button")
    assert len(buttons) >= 2
    assert all(b.text for b in buttons)
    # The JSON toggle shows the message as the bot sent it.
    card.find_element(By.CSS_SELECTOR, ".json-toggle").click()
    shown = json.loads(card.find_element(By.CSS_SELECTOR, ".json").text)
    assert shown["type"] == "flex"
    assert shown["contents"]["type"] == "bubble"
    # Loosely, as drawn: the card image is there (many colours, not a blank box) and the first
    # button has the colour the bot gave it.
    picture = Image.open(io.BytesIO(card.screenshot_as_png)).convert("RGB")
    assert len(picture.getcolors(maxcolors=1 << 24)) > 200
    colour = shown["contents"]["footer"]["contents"][0]["color"].lstrip("#")
    drawn = Image.open(io.BytesIO(buttons[0].screenshot_as_png)).convert("RGB")
    assert drawn.getpixel((5, drawn.height // 2)) == tuple(bytes.fromhex(colour))
    # The English shopper gets English.
    english = _phone(browser, SHOPPER, 1)
    _follow(browser, english)
    assert "Emma Brown" in _bot_messages(english)[0].text


def test_a_button_sends_its_postback_and_the_reply_appears(browser, live_sandbox):
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    card = _follow(browser, phone)
    points = next(
        b for b in card.find_elements(By.CSS_SELECTOR, ".flex-button") if "ポイント" in b.text
    )
    points.click()
    reply = _wait_bot(browser, phone, 3)[2]
    assert "ポイント" in reply.text
    # A typed keyword goes through the webhook too.
    phone.find_element(By.CSS_SELECTOR, ".text-input").send_keys("履歴\n")
    mine = phone.find_elements(By.CSS_SELECTOR, ".msg.me")
    assert mine
    assert mine[-1].text.startswith("履歴")
    _wait_bot(browser, phone, 4)


def test_block_and_unblock(browser, live_sandbox):
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    _follow(browser, phone)
    _act(phone, "unfollow")
    assert not phone.find_element(By.CSS_SELECTOR, ".text-input").is_enabled()
    _act(phone, "unblock")
    back = _wait_bot(browser, phone, 4)
    assert "おかえりなさい" in back[2].text


def _charge(browser, amount: int) -> dict:
    till = browser.find_element(By.ID, "till")
    wait_for(browser, lambda d: d.find_element(By.ID, "till-code").text.isdigit())
    field = till.find_element(By.ID, "till-amount")
    field.clear()
    field.send_keys(str(amount))
    answer = browser.find_element(By.ID, "till-answer")
    before = answer.text
    till.find_element(By.ID, "till-charge").click()
    wait_for(browser, lambda d: answer.text != before and answer.get_attribute("data-status"))
    status, body = answer.text.split("\n", 2)[1:]
    assert status == "201", answer.text
    return json.loads(body)


def test_the_till_charges_the_code_shown_and_the_receipt_arrives(browser, live_sandbox):
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    _follow(browser, phone)
    browser.find_element(By.ID, "make-store").click()
    wait_for(browser, lambda d: "sk_" in d.find_element(By.ID, "store-status").text)
    sale = _charge(browser, 1280)
    assert sale["points_earned"] == 12
    receipt = _wait_bot(browser, phone, 3)[2]
    assert receipt.get_attribute("data-type") == "flex"
    assert "¥1,280" in receipt.text
    assert "push" in receipt.find_element(By.CSS_SELECTOR, ".meta").text
    # The refund goes through the real API too.
    browser.find_element(By.CSS_SELECTOR, "#till-sales button").click()
    answer = browser.find_element(By.ID, "till-answer")
    wait_for(browser, lambda d: "/refund" in answer.text)
    assert answer.text.split("\n")[1] == "201", answer.text
    assert json.loads(answer.text.split("\n", 2)[2])["points_reversed"] == 12


def _button(message, label: str):
    return next(
        b for b in message.find_elements(By.CSS_SELECTOR, ".flex-button") if b.text == label
    )


def test_a_ticket_exchanged_in_the_chat_is_used_at_the_till(browser, live_sandbox):
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    _follow(browser, phone)
    browser.find_element(By.ID, "make-store").click()
    wait_for(browser, lambda d: "sk_" in d.find_element(By.ID, "store-status").text)
    _charge(browser, 5000)
    _wait_bot(browser, phone, 3)  # the receipt
    phone.find_element(By.CSS_SELECTOR, ".text-input").send_keys("特典\n")
    rewards = _wait_bot(browser, phone, 4)[3]
    assert rewards.find_elements(By.CSS_SELECTOR, ".flex-carousel .flex-bubble")
    browser.execute_script("arguments[0].scrollIntoView()", rewards)
    _button(rewards, "交換する").click()
    confirm = _wait_bot(browser, phone, 5)[4]
    _button(confirm, "交換する").click()
    ticket = _wait_bot(browser, phone, 6)[5]
    assert "特典チケット" in ticket.text
    select = browser.find_element(By.ID, "till-ticket")
    wait_for(browser, lambda d: len(select.find_elements(By.TAG_NAME, "option")) == 2)
    select.find_elements(By.TAG_NAME, "option")[1].click()
    browser.find_element(By.ID, "till-redeem").click()
    answer = browser.find_element(By.ID, "till-answer")
    wait_for(browser, lambda d: "/api/v1/tickets/redeem" in answer.text)
    assert answer.text.split("\n")[1] == "201", answer.text
    wait_for(browser, lambda d: len(select.find_elements(By.TAG_NAME, "option")) == 1)


def test_the_daily_sweep_button_runs_the_sweep(browser, live_sandbox):
    _open(browser, live_sandbox)
    browser.find_element(By.ID, "run-sweep").click()
    out = browser.find_element(By.ID, "sweep-answer")
    wait_for(browser, lambda d: out.text.startswith("Sweep done"))
    assert "points expired" in out.text


def _richmenu(*args: str, live_sandbox) -> str:
    done = live_sandbox.run("-m", "richmenu", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_rich_menu_after_a_deploy_with_its_tabs(browser, live_sandbox):
    _richmenu("delete", "--all-managed", "--yes", live_sandbox=live_sandbox)
    _open(browser, live_sandbox)
    phone = _phone(browser, SHOPPER)
    hint = wait_for(browser, lambda d: phone.find_element(By.CSS_SELECTOR, ".rm-hint"))
    assert "richmenu deploy" in hint.text
    _richmenu("deploy", live_sandbox=live_sandbox)
    _follow(browser, phone)
    panel = wait_for(browser, lambda d: phone.find_elements(By.CSS_SELECTOR, ".rm-panel"))[0]
    image = panel.find_element(By.TAG_NAME, "img")
    wait_for(browser, lambda d: _image_loaded(d, image))
    first_menu = panel.get_attribute("data-menu")
    areas = panel.find_elements(By.CSS_SELECTOR, ".rm-area")
    labels = [a.get_attribute("aria-label") for a in areas]
    assert "会員証" in labels
    # Tapping the card area: the card comes back (the user sees its display text first).
    areas[labels.index("会員証")].click()
    card = _wait_bot(browser, phone, 2, "flex")[1]
    assert card.find_elements(By.CSS_SELECTOR, ".flex-hero img")
    assert phone.find_elements(By.CSS_SELECTOR, ".msg.me")[-1].text.startswith("会員証")
    # The other tab: LINE switches the menu by its alias.
    tab = next(a for a in areas if a.get_attribute("data-action-type") == "richmenuswitch")
    tab.click()
    wait_for(
        browser,
        lambda d: (
            phone.find_element(By.CSS_SELECTOR, ".rm-panel").get_attribute("data-menu")
            not in (None, first_menu)
        ),
    )
    labels = [
        a.get_attribute("aria-label") for a in phone.find_elements(By.CSS_SELECTOR, ".rm-area")
    ]
    assert "特典" in labels


def test_the_staff_member_scans_a_photo_of_the_card_and_grants(browser, live_sandbox, tmp_path):
    _open(browser, live_sandbox)
    shopper = _phone(browser, SHOPPER)
    card = _follow(browser, shopper)
    url = card.find_element(By.CSS_SELECTOR, ".flex-hero img").get_attribute("src")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the sandbox
        photo = Path(tmp_path / "card.png")
        photo.write_bytes(response.read())
    _richmenu("deploy", live_sandbox=live_sandbox)
    staff = _phone(browser, STAFF)
    _act(staff, "staff")
    wait_for(
        browser,
        lambda d: "Registered as staff" in staff.find_element(By.CSS_SELECTOR, ".chat").text,
    )
    # The staff menu's scan area, then the camera quick reply (it opens the file picker).
    scan = wait_for(
        browser, lambda d: staff.find_elements(By.CSS_SELECTOR, '.rm-area[aria-label="スキャン"]')
    )
    scan[0].click()
    quick = wait_for(
        browser, lambda d: staff.find_elements(By.CSS_SELECTOR, ".quick-replies button")
    )
    assert [q.get_attribute("data-action-type") for q in quick] == ["camera", "cameraRoll"]
    quick[0].click()
    assert not staff.find_element(By.CSS_SELECTOR, ".quick-replies").is_displayed()
    staff.find_element(By.CSS_SELECTOR, ".photo-input").send_keys(str(photo))
    found = _wait_bot(browser, staff, 2)[1]
    number = browser.find_element(By.ID, "till-code-note").text.split()[1].rstrip(";")
    assert number.replace(" ", "") in found.text.replace(" ", "")
    staff.find_element(By.CSS_SELECTOR, ".text-input").send_keys("1280\n")
    confirm = _wait_bot(browser, staff, 3)[2]
    grant = next(b for b in confirm.find_elements(By.CSS_SELECTOR, ".flex-button") if b.text)
    grant.click()
    granted = _wait_bot(browser, staff, 4)[3]
    assert "+12" in granted.text
    receipt = _wait_bot(browser, shopper, 3)[2]
    assert "¥1,280" in receipt.text
