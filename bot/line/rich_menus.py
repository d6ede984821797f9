"""What the bot needs of rich menus: the staff menu's alias, per-user links, LINE's errors.

``flask staff add`` / ``remove`` link and unlink one staff member; the rich menu tool
(``python -m richmenu``) builds its own calls on this module, never the other way round.
"""

from __future__ import annotations

import json

from linebot.v3.messaging import ApiException, MessagingApi

from bot.line.client import REQUEST_TIMEOUT

#: The alias of the staff menu's first page: ``staff add`` links what it points at, and
#: ``python -m richmenu deploy`` moves it only after every staff member was linked to the
#: new menu.
STAFF_MENU_ALIAS = "loyalty-staff"


class UserMenus:
    """Per-user rich menu links and alias look-ups on LINE, with timeouts."""

    def __init__(self, api: MessagingApi) -> None:
        self._api = api

    def alias_target(self, alias: str) -> str | None:
        """The rich menu an alias points at, or None when there is no such alias."""
        try:
            found = self._api.get_rich_menu_alias(alias, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return found.rich_menu_id

    def link_user(self, user_id: str, menu_id: str) -> None:
        """Link one user to the menu, replacing their previous per-user menu."""
        self._api.link_rich_menu_id_to_user(user_id, menu_id, _request_timeout=REQUEST_TIMEOUT)

    def unlink_user(self, user_id: str) -> None:
        """Remove the user's per-user menu; they see the default again."""
        self._api.unlink_rich_menu_id_from_user(user_id, _request_timeout=REQUEST_TIMEOUT)


def describe_error(exc: ApiException) -> str:
    """LINE's answer in one line: status, message, details and request id."""
    text = f"HTTP {exc.status}"
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        text += f" {body['message']}"
        details = [
            f"{d.get('property') or '-'}: {d.get('message')}"
            for d in body.get("details") or []
            if isinstance(d, dict)
        ]
        if details:
            text += " (" + "; ".join(details) + ")"
    elif exc.reason:
        text += f" {exc.reason}"
    request_id = (exc.headers or {}).get("x-line-request-id")
    if request_id:
        text += f" [request id {request_id}]"
    return text
