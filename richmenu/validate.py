"""Local checks against LINE's rich menu rules, before anything is sent to LINE.

The SDK enforces only some of these (line-api-facts.md §6.6) and LINE's validate endpoint does
not see the image, so deploy runs these first and names every problem at once.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Iterable

from PIL import Image, UnidentifiedImageError

from bot.domain.colours import AA_CONTRAST, contrast_ratio
from bot.domain.program import CardDesign
from bot.imaging.fonts import missing_characters
from bot.line.rich_menus import STAFF_MENU_ALIAS
from bot.messages import postbacks
from richmenu import ALIAS_PREFIX
from richmenu.model import Bounds, Page
from richmenu.render import text_colours

# Limits from the Messaging API reference (line-api-facts.md §3.2, §4).
MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT = 800, 2500, 250
MIN_RATIO = 1.45
#: Largest image, in bytes: LINE says "1 MB"; the decimal reading is the stricter one.
MAX_IMAGE_BYTES = 1_000_000
MAX_AREAS = 20
MAX_CHAT_BAR_TEXT = 14
MAX_ACTION_DATA = 300
MAX_DISPLAY_TEXT = 300
#: Action labels (read by screen readers) are at most 20 characters.
MAX_ACTION_LABEL = 20
ALIAS_ID = re.compile(r"[a-z0-9_-]{1,32}")
#: Menu and page names end up in rich menu names and postback data: keep them plain.
NAME = re.compile(r"[a-z0-9_]{1,32}")
IMAGE_FORMATS = ("PNG", "JPEG")


class InvalidMenuError(Exception):
    """Definitions or images break LINE's rules, or labels would not read (contrast);
    ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def check_pages(pages: Iterable[Page]) -> list[str]:
    """Every problem with the pages' definitions (the images are checked separately)."""
    pages = list(pages)
    problems = _check_set(pages)
    for page in pages:
        problems.extend(check_page(page))
    return problems


def check_page(page: Page) -> list[str]:
    """Problems with one page: size, areas, chat bar text, actions and label characters."""
    where = f"{page.key}:"
    problems = [f"{where} {p}" for p in _check_size(page.width, page.height)]
    if not 1 <= len(page.chat_bar_text) <= MAX_CHAT_BAR_TEXT:
        problems.append(
            f"{where} chat_bar_text {page.chat_bar_text!r} must be 1-{MAX_CHAT_BAR_TEXT} characters"
        )
    areas = [(f"tab {t.label!r}", t.bounds) for t in page.tabs]
    areas += [(f"button {b.label!r}", b.bounds) for b in page.buttons]
    # The current page's own tab is drawn but has no action, so it is not an area.
    tappable = len(areas) - (1 if page.tabs else 0)
    if not 1 <= tappable <= MAX_AREAS:
        problems.append(f"{where} has {tappable} areas; LINE allows 1-{MAX_AREAS}")
    for name, bounds in areas:
        if not bounds.inside(page.width, page.height):
            problems.append(
                f"{where} {name} at {_bounds(bounds)} is not inside the "
                f"{page.width}x{page.height} image"
            )
    for (name_a, a), (name_b, b) in itertools.combinations(areas, 2):
        if a.overlaps(b):
            problems.append(f"{where} {name_a} and {name_b} overlap")
    problems.extend(f"{where} {p}" for p in _check_actions(page))
    problems.extend(f"{where} {p}" for p in _check_characters(page))
    return problems


def check_colours(pages: Iterable[Page], design: CardDesign) -> list[str]:
    """Label colours that do not reach WCAG AA contrast (4.5:1) on what they are drawn on,
    naming the program's colours: a brand accent such as #F2C94C reads as nothing on white."""
    has_tabs = any(page.tabs for page in pages)
    problems = []
    for pair in text_colours(design):
        if "tab" in pair.what and not has_tabs:
            continue
        ratio = contrast_ratio(pair.ink, pair.background)
        if ratio >= AA_CONTRAST:
            continue
        shown = f"{math.floor(ratio * 100) / 100:.2f}:1"
        if pair.ink_key is None:
            problems.append(
                f"{pair.what}: neither black nor white text reaches {AA_CONTRAST}:1 on "
                f"{pair.background_key} {pair.background} (at best {shown}); choose a lighter "
                "or darker colour"
            )
        else:
            problems.append(
                f"{pair.what}: {pair.ink_key} {pair.ink} on {pair.background_key} "
                f"{pair.background} has a contrast of {shown}; WCAG AA needs {AA_CONTRAST}:1 "
                f"(choose a darker or lighter {pair.ink_key}, or another {pair.background_key})"
            )
    return problems


def check_image(page: Page, image: bytes) -> list[str]:
    """Problems with a page's image: format, size in pixels matching the menu, file size."""
    where = f"{page.key}:"
    problems = []
    if len(image) > MAX_IMAGE_BYTES:
        problems.append(f"{where} image is {len(image):,} bytes; LINE accepts {MAX_IMAGE_BYTES:,}")
    try:
        with Image.open(io.BytesIO(image)) as opened:
            image_format, size = opened.format, opened.size
    except (UnidentifiedImageError, OSError):
        return [*problems, f"{where} image is not a PNG or JPEG file"]
    if image_format not in IMAGE_FORMATS:
        problems.append(f"{where} image is {image_format}; LINE accepts PNG or JPEG")
    if size != (page.width, page.height):
        problems.append(
            f"{where} image is {size[0]}x{size[1]} but the menu is {page.width}x{page.height}"
        )
    return problems


def _check_size(width: int, height: int) -> list[str]:
    """LINE's size rule, which applies to the menu and its image alike."""
    problems = []
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        problems.append(f"width {width} must be {MIN_WIDTH}-{MAX_WIDTH} pixels")
    if height < MIN_HEIGHT:
        problems.append(f"height {height} must be at least {MIN_HEIGHT} pixels")
    if height > 0 and width / height < MIN_RATIO:
        problems.append(
            f"size {width}x{height} has ratio {width / height:.2f}; "
            f"width / height must be at least {MIN_RATIO} (e.g. 2500x1686 or 2500x843)"
        )
    return problems


def _check_set(pages: list[Page]) -> list[str]:
    """Rules across pages: names, aliases, exactly one default menu, the staff alias."""
    problems = []
    for key, group in itertools.groupby(sorted(p.key for p in pages)):
        if len(list(group)) > 1:
            problems.append(f"{key}: two pages have this menu and page name")
    for alias, group in itertools.groupby(sorted(p.alias for p in pages)):
        if len(list(group)) > 1:
            problems.append(f"alias {alias!r} is used by more than one page")
    for page in pages:
        for name in (page.menu, page.name):
            if not NAME.fullmatch(name):
                problems.append(f"{page.key}: name {name!r} must match {NAME.pattern}")
        if not ALIAS_ID.fullmatch(page.alias) or not page.alias.startswith(ALIAS_PREFIX):
            problems.append(
                f"{page.key}: alias {page.alias!r} must match {ALIAS_ID.pattern} "
                f"and start with {ALIAS_PREFIX!r}"
            )
    roles = [p.role for p in pages]
    if roles.count("default") != 1:
        problems.append(f"exactly one menu needs role = 'default'; found {roles.count('default')}")
    if roles.count("staff") > 1:
        problems.append("at most one menu can have role = 'staff'")
    for page in pages:
        if page.role == "staff" and page.alias != STAFF_MENU_ALIAS:
            problems.append(
                f"{page.key}: the staff menu's first page needs alias {STAFF_MENU_ALIAS!r}"
            )
    return problems


def _check_actions(page: Page) -> list[str]:
    """Postback data the bot serves; display texts and labels within LINE's lengths."""
    problems = []
    for button in page.buttons:
        name = f"button {button.label!r}"
        if not 1 <= len(button.data) <= MAX_ACTION_DATA:
            problems.append(f"{name}: data must be 1-{MAX_ACTION_DATA} characters")
        elif why := postbacks.problem(button.data):
            # The bot ignores a postback it cannot unpack: a typo would deploy and do nothing.
            problems.append(f"{name}: data {button.data!r} is not a postback the bot serves: {why}")
        if button.display_text is not None and not (
            1 <= len(button.display_text) <= MAX_DISPLAY_TEXT
        ):
            problems.append(f"{name}: display_text must be 1-{MAX_DISPLAY_TEXT} characters")
        if not 1 <= len(button.label) <= MAX_ACTION_LABEL:
            problems.append(f"{name}: label must be 1-{MAX_ACTION_LABEL} characters")
    for tab in page.tabs:
        if not 1 <= len(tab.label) <= MAX_ACTION_LABEL:
            problems.append(f"tab {tab.label!r}: label must be 1-{MAX_ACTION_LABEL} characters")
    return problems


def _check_characters(page: Page) -> list[str]:
    """Labels the bundled font cannot draw (they would show as blanks on the image)."""
    # The chat bar text is drawn by the LINE app, not with this font.
    labels: list[str] = []
    for item in (*page.tabs, *page.buttons):
        labels.extend(text for text in (item.label, item.label_en) if text)
    problems = []
    for label in labels:
        missing = missing_characters(label)
        if missing:
            problems.append(f"label {label!r} uses characters the font lacks: {' '.join(missing)}")
    return problems


def _bounds(bounds: Bounds) -> str:
    """``[x, y, width, height]`` for messages."""
    return f"[{bounds.x}, {bounds.y}, {bounds.width}, {bounds.height}]"
