"""The rich-menu calls of LINE's Messaging API, through line-bot-sdk v3 and nothing else.

Built on the bot's own ``LineClient.api`` (same credentials, same ``LINE_API_BASE_URL``) and on
the per-user calls the bot itself makes (bot/line/rich_menus.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    MessagingApi,
    MessagingApiBlob,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)

from bot.line.client import REQUEST_TIMEOUT
from bot.line.rich_menus import UserMenus

#: (connect, read) timeout for image uploads and downloads, in seconds: up to 1 MB each way.
IMAGE_TIMEOUT = (3.05, 30.0)
#: Most users one bulk link request may name (LINE's limit).
MAX_BULK_USERS = 500


@dataclass(frozen=True)
class LiveMenu:
    """A rich menu LINE holds."""

    menu_id: str
    name: str
    chat_bar_text: str
    width: int
    height: int
    areas: int


class RichMenuApi(UserMenus):
    """Rich menus, aliases, the default menu and per-user links on LINE, with timeouts."""

    def __init__(self, api: MessagingApi) -> None:
        super().__init__(api)
        self._blob = MessagingApiBlob(api.api_client)

    # -- reads -----------------------------------------------------------------------------

    def menus(self) -> list[LiveMenu]:
        """Every rich menu of the channel created through the API."""
        found = self._api.get_rich_menu_list(_request_timeout=REQUEST_TIMEOUT).richmenus
        return [
            LiveMenu(
                menu_id=menu.rich_menu_id,
                name=menu.name,
                chat_bar_text=menu.chat_bar_text,
                width=menu.size.width,
                height=menu.size.height,
                areas=len(menu.areas),
            )
            for menu in found
        ]

    def aliases(self) -> dict[str, str]:
        """Every rich menu alias: alias id -> rich menu id."""
        found = self._api.get_rich_menu_alias_list(_request_timeout=REQUEST_TIMEOUT).aliases
        return {alias.rich_menu_alias_id: alias.rich_menu_id for alias in found}

    def default_menu(self) -> str | None:
        """The default rich menu set through the API, or None."""
        try:
            found = self._api.get_default_rich_menu_id(_request_timeout=REQUEST_TIMEOUT)
        except ApiException as exc:
            # 404: none set. 403: set in LINE Official Account Manager, which the API
            # cannot read; deploy then sets its own, which takes precedence.
            if exc.status in (403, 404):
                return None
            raise
        return found.rich_menu_id

    def image(self, menu_id: str) -> bytes | None:
        """The menu's image, or None when it has none yet (LINE answers 404)."""
        try:
            return bytes(self._blob.get_rich_menu_image(menu_id, _request_timeout=IMAGE_TIMEOUT))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    # -- writes ----------------------------------------------------------------------------

    def validate(self, request: RichMenuRequest) -> None:
        """Ask LINE whether it would accept the rich menu object (changes nothing)."""
        self._api.validate_rich_menu_object(request, _request_timeout=REQUEST_TIMEOUT)

    def create(self, request: RichMenuRequest) -> str:
        """Create a rich menu (counts against 100 per hour) and return its id."""
        return self._api.create_rich_menu(request, _request_timeout=REQUEST_TIMEOUT).rich_menu_id

    def upload_png(self, menu_id: str, png: bytes) -> None:
        """Set the menu's image; LINE accepts this once per menu."""
        self._blob.set_rich_menu_image(
            menu_id,
            body=png,
            _headers={"Content-Type": "image/png"},
            _request_timeout=IMAGE_TIMEOUT,
        )

    def point_alias(self, alias: str, menu_id: str, *, exists: bool) -> None:
        """Create the alias, or move an existing one, to the menu (which must have its image)."""
        if exists:
            request = UpdateRichMenuAliasRequest(rich_menu_id=menu_id)
            self._api.update_rich_menu_alias(alias, request, _request_timeout=REQUEST_TIMEOUT)
        else:
            create = CreateRichMenuAliasRequest(rich_menu_alias_id=alias, rich_menu_id=menu_id)
            self._api.create_rich_menu_alias(create, _request_timeout=REQUEST_TIMEOUT)

    def delete_alias(self, alias: str) -> None:
        """Delete an alias."""
        self._api.delete_rich_menu_alias(alias, _request_timeout=REQUEST_TIMEOUT)

    def set_default(self, menu_id: str) -> None:
        """Make the menu everyone's default."""
        self._api.set_default_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)

    def delete(self, menu_id: str) -> None:
        """Delete a menu; users linked to it fall back to the default."""
        self._api.delete_rich_menu(menu_id, _request_timeout=REQUEST_TIMEOUT)

    def link_users(self, menu_id: str, user_ids: Sequence[str]) -> None:
        """Link up to MAX_BULK_USERS users to the menu (LINE applies it within seconds)."""
        request = RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=list(user_ids))
        self._api.link_rich_menu_id_to_users(request, _request_timeout=REQUEST_TIMEOUT)
