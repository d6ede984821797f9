"""The rich menu endpoints of the LINE stand-in (create, image, default, per-user, aliases)."""

from __future__ import annotations

import secrets

from sandbox.fake_base import (
    _RICH_MENU_ALIAS_ID,
    _USER_ID,
    MAX_BULK_RICH_MENU_USERS,
    MAX_RICH_MENU_IMAGE_BYTES,
    JsonObject,
    _Answer,
    _body_errors,
    _Call,
    _check_rich_menu,
    _detail,
    _error,
    _json_object,
    _RichMenu,
)


class RichMenuEndpoints:
    """Rich menu handlers, mixed into FakeLine (they use its state and lock)."""

    # -- rich menus ------------------------------------------------------------------------

    def _create_rich_menu(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        details = _check_rich_menu(body)
        if details:
            return _body_errors(details)
        menu_id = f"richmenu-{secrets.token_hex(16)}"
        self._rich_menus[menu_id] = _RichMenu(dict(body))
        return _Answer(200, {"richMenuId": menu_id})

    def _validate_rich_menu(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu/validate."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        details = _check_rich_menu(body)
        return _body_errors(details) if details else _Answer(200, {})

    def _rich_menu_json(self, menu_id: str) -> JsonObject:
        """Return a stored rich menu as the API answers it."""
        return {"richMenuId": menu_id, **self._rich_menus[menu_id].menu}

    def _get_rich_menu(self, call: _Call) -> _Answer:
        """GET /v2/bot/richmenu/{richMenuId}."""
        menu_id = call.params["menu"]
        if menu_id not in self._rich_menus:
            return _error(404, "Not found")
        return _Answer(200, self._rich_menu_json(menu_id))

    def _list_rich_menus(self, call: _Call) -> _Answer:
        """GET /v2/bot/richmenu/list."""
        return _Answer(200, {"richmenus": [self._rich_menu_json(m) for m in self._rich_menus]})

    def _delete_rich_menu(self, call: _Call) -> _Answer:
        """DELETE /v2/bot/richmenu/{richMenuId}; also drops links to it."""
        menu_id = call.params["menu"]
        if self._rich_menus.pop(menu_id, None) is None:
            return _error(404, "Not found")
        if self._default_rich_menu == menu_id:
            self._default_rich_menu = None
        self._user_rich_menus = {u: m for u, m in self._user_rich_menus.items() if m != menu_id}
        self._rich_menu_aliases = {a: m for a, m in self._rich_menu_aliases.items() if m != menu_id}
        return _Answer(200, {})

    def _upload(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu/{richMenuId}/content: PNG/JPEG, at most 1 MB, only once."""
        menu = self._rich_menus.get(call.params["menu"])
        if menu is None:
            return _error(404, "Not found")
        content_type = call.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("image/png", "image/jpeg"):
            return _error(415, f"The content type, {content_type or 'none'}, is not supported")
        if menu.image is not None:
            return _error(400, "An image has already been uploaded to the richmenu")
        if not call.body or len(call.body) > MAX_RICH_MENU_IMAGE_BYTES:
            return _error(400, "The image must be between 1 byte and 1 MB")
        menu.image = (call.body, content_type)
        return _Answer(200, {})

    def _download(self, call: _Call) -> _Answer:
        """GET /v2/bot/richmenu/{richMenuId}/content."""
        menu = self._rich_menus.get(call.params["menu"])
        if menu is None or menu.image is None:
            return _error(404, "Not found")
        data, content_type = menu.image
        return _Answer(200, data=data, content_type=content_type)

    def _usable_menu(self, menu_id: str) -> _Answer | None:
        """Return an error unless the menu exists and has its image."""
        menu = self._rich_menus.get(menu_id)
        if menu is None:
            return _error(404, "Not found")
        if menu.image is None:
            return _error(400, "must upload richmenu image before applying it to user")
        return None

    def _set_default(self, call: _Call) -> _Answer:
        """POST /v2/bot/user/all/richmenu/{richMenuId}."""
        problem = self._usable_menu(call.params["menu"])
        if problem is not None:
            return problem
        self._default_rich_menu = call.params["menu"]
        return _Answer(200, {})

    def _get_default_menu(self, call: _Call) -> _Answer:
        """GET /v2/bot/user/all/richmenu."""
        if self._default_rich_menu is None:
            return _error(404, "no default richmenu")
        return _Answer(200, {"richMenuId": self._default_rich_menu})

    def _clear_default_menu(self, call: _Call) -> _Answer:
        """DELETE /v2/bot/user/all/richmenu."""
        self._default_rich_menu = None
        return _Answer(200, {})

    def _link(self, call: _Call) -> _Answer:
        """POST /v2/bot/user/{userId}/richmenu/{richMenuId}."""
        problem = self._usable_menu(call.params["menu"])
        if problem is not None:
            return problem
        if not _USER_ID.fullmatch(call.params["user"]):
            return _error(400, "The user ID is invalid")
        self._user_rich_menus[call.params["user"]] = call.params["menu"]
        return _Answer(200, {})

    def _user_menu(self, call: _Call) -> _Answer:
        """GET /v2/bot/user/{userId}/richmenu."""
        menu_id = self._user_rich_menus.get(call.params["user"])
        if menu_id is None:
            return _error(404, "the user has no richmenu")
        return _Answer(200, {"richMenuId": menu_id})

    def _unlink(self, call: _Call) -> _Answer:
        """DELETE /v2/bot/user/{userId}/richmenu."""
        self._user_rich_menus.pop(call.params["user"], None)
        return _Answer(200, {})

    def _create_alias(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu/alias."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        alias, menu_id = body.get("richMenuAliasId"), body.get("richMenuId")
        if not isinstance(alias, str) or not _RICH_MENU_ALIAS_ID.fullmatch(alias):
            return _body_errors([_detail("must match [a-z0-9_-]{1,32}", "richMenuAliasId")])
        if not isinstance(menu_id, str):
            return _body_errors([_detail("must be specified", "richMenuId")])
        problem = self._usable_menu(menu_id)
        if problem is not None:
            return problem
        if alias in self._rich_menu_aliases:
            return _error(400, "conflict richmenu alias id")
        self._rich_menu_aliases[alias] = menu_id
        return _Answer(200, {})

    def _get_alias(self, call: _Call) -> _Answer:
        """GET /v2/bot/richmenu/alias/{richMenuAliasId}."""
        alias = call.params["alias"]
        if alias not in self._rich_menu_aliases:
            return _error(404, "Not found")
        return _Answer(
            200, {"richMenuAliasId": alias, "richMenuId": self._rich_menu_aliases[alias]}
        )

    def _list_aliases(self, call: _Call) -> _Answer:
        """GET /v2/bot/richmenu/alias/list."""
        aliases = [
            {"richMenuAliasId": a, "richMenuId": m} for a, m in self._rich_menu_aliases.items()
        ]
        return _Answer(200, {"aliases": aliases})

    def _update_alias(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu/alias/{richMenuAliasId}: point an alias at another menu."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        alias, menu_id = call.params["alias"], body.get("richMenuId")
        if not isinstance(menu_id, str):
            return _body_errors([_detail("must be specified", "richMenuId")])
        if alias not in self._rich_menu_aliases:
            return _error(404, "Not found")
        problem = self._usable_menu(menu_id)
        if problem is not None:
            return problem
        self._rich_menu_aliases[alias] = menu_id
        return _Answer(200, {})

    def _bulk_user_ids(self, body: JsonObject) -> list[str] | _Answer:
        """Return the `userIds` of a bulk request, or the 400 LINE gives for a bad list."""
        user_ids = body.get("userIds")
        if not isinstance(user_ids, list) or not 1 <= len(user_ids) <= MAX_BULK_RICH_MENU_USERS:
            return _body_errors(
                [_detail(f"Size must be between 1 and {MAX_BULK_RICH_MENU_USERS}", "userIds")]
            )
        if not all(isinstance(u, str) and _USER_ID.fullmatch(u) for u in user_ids):
            return _body_errors([_detail("must be user IDs", "userIds")])
        return user_ids

    def _bulk_link(self, call: _Call) -> _Answer:
        """POST /v2/bot/richmenu/bulk/link: asynchronous on LINE (202); applied at once here."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        menu_id = body.get("richMenuId")
        if not isinstance(menu_id, str):
            return _body_errors([_detail("must be specified", "richMenuId")])
        user_ids = self._bulk_user_ids(body)
        if isinstance(user_ids, _Answer):
            return user_ids
        problem = self._usable_menu(menu_id)
        if problem is not None:
            return problem
        self._user_rich_menus.update(dict.fromkeys(user_ids, menu_id))
        return _Answer(202, {})

    def _delete_alias(self, call: _Call) -> _Answer:
        """DELETE /v2/bot/richmenu/alias/{richMenuAliasId}."""
        if self._rich_menu_aliases.pop(call.params["alias"], None) is None:
            return _error(404, "Not found")
        return _Answer(200, {})
