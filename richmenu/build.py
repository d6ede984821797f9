"""From definitions to what LINE should hold: rich menu objects, images and content names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging import RichMenuRequest

from bot.domain.program import CardDesign
from bot.messages import postbacks
from richmenu import NAME_PREFIX
from richmenu.model import Bounds, Page
from richmenu.render import render_page
from richmenu.validate import InvalidMenuError, check_colours, check_image, check_pages

#: Hex digits of the content hash in a rich menu's name: enough to tell versions apart.
HASH_LENGTH = 12


@dataclass(frozen=True)
class DesiredMenu:
    """One rich menu as LINE should hold it; ``name`` carries a hash of its whole content."""

    page: Page
    request: RichMenuRequest
    image: bytes

    @property
    def key(self) -> str:
        """The page's stable key, e.g. ``shopper-card``."""
        return self.page.key

    @property
    def name(self) -> str:
        """``loyalty:<key>:<hash>``: equal names mean equal menus and images."""
        return self.request.name


def build_menus(pages: Iterable[Page], design: CardDesign) -> tuple[DesiredMenu, ...]:
    """Check, render and name every page; raises InvalidMenuError listing every problem."""
    pages = tuple(pages)
    problems = check_pages(pages) + check_colours(pages, design)
    if problems:
        raise InvalidMenuError(problems)
    images = {page.key: render_page(page, design) for page in pages}
    for page in pages:
        problems.extend(check_image(page, images[page.key]))
    if problems:
        raise InvalidMenuError(problems)
    return tuple(_desired(page, images[page.key]) for page in pages)


def menu_name(key: str, body: dict[str, Any], image: bytes) -> str:
    """The rich menu name for this content: any change to the object or image changes it."""
    digest = hashlib.sha256()
    digest.update(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
    digest.update(image)
    return f"{NAME_PREFIX}{key}:{digest.hexdigest()[:HASH_LENGTH]}"


def menu_body(page: Page) -> dict[str, Any]:
    """The rich menu object without its name, as LINE's JSON: tabs first, then buttons."""
    areas = [
        _area(tab.bounds, _switch(tab.alias, tab.page, tab.label))
        for tab in page.tabs
        if tab.page != page.name  # the current tab has nothing to switch to
    ]
    for button in page.buttons:
        action = {"type": "postback", "label": button.label, "data": button.data}
        if button.display_text is not None:
            action["displayText"] = button.display_text
        areas.append(_area(button.bounds, action))
    return {
        "size": {"width": page.width, "height": page.height},
        "selected": page.selected,
        "chatBarText": page.chat_bar_text,
        "areas": areas,
    }


def _desired(page: Page, image: bytes) -> DesiredMenu:
    """The named request and image of a checked page."""
    body = menu_body(page)
    request = RichMenuRequest.from_dict({**body, "name": menu_name(page.key, body, image)})
    return DesiredMenu(page=page, request=request, image=image)


def _switch(alias: str, page_name: str, label: str) -> dict[str, Any]:
    """A richmenuswitch action; its data tells the bot which tab was opened."""
    return {
        "type": "richmenuswitch",
        "label": label,
        "richMenuAliasId": alias,
        "data": postbacks.Tab(to=page_name).pack(),
    }


def _area(bounds: Bounds, action: dict[str, Any]) -> dict[str, Any]:
    """One tappable area."""
    return {
        "bounds": {
            "x": bounds.x,
            "y": bounds.y,
            "width": bounds.width,
            "height": bounds.height,
        },
        "action": action,
    }
