"""The LINE stand-in's own endpoints under ``/_sandbox/``: what the LINE app would know.

LINE's API has no way to read what a user was sent, to set a user's profile, to upload the
photo a user takes, or to tap a rich menu tab; the LINE app does those. The sandbox CLI and
the browser page (sandbox/page.py) use these endpoints to play the app's part, so the bot
itself only ever sees the real API.
"""

from __future__ import annotations

from sandbox.fake_base import (
    _RICH_MENU_ALIAS_ID,
    _USER_ID,
    Handler,
    JsonObject,
    _Answer,
    _body_errors,
    _Call,
    _detail,
    _error,
    _json_object,
)

#: Largest photo a sandbox user may send, in bytes (LINE keeps originals up to 10 MB).
MAX_CONTENT_BYTES = 10 * 1024 * 1024
#: Longest display name accepted for a sandbox profile (LINE allows 20; the sandbox lets
#: a tester try longer ones, as the card must cope with any).
MAX_DISPLAY_NAME = 200
#: Longest profile language tag (BCP 47 tags such as ``ja`` or ``en-US`` are short).
MAX_LANGUAGE = 35
_IMAGE_TYPES = ("image/jpeg", "image/png")


class SandboxEndpoints:
    """Handlers of ``/_sandbox/``, mixed into FakeLine (they use its state and lock)."""

    def _sandbox_routes(self, segment: str) -> list[tuple[str, str, Handler]]:
        """(method, path regex, handler) of the sandbox endpoints."""
        return [
            ("GET", "/_sandbox/inbox", self._sandbox_inbox),
            ("GET", "/_sandbox/inbox/" + segment.format("user_id"), self._sandbox_inbox),
            ("POST", "/_sandbox/reply-tokens", self._sandbox_reply_token),
            ("POST", "/_sandbox/profiles", self._sandbox_profile),
            ("POST", "/_sandbox/contents", self._sandbox_content),
            ("GET", "/_sandbox/richmenu/" + segment.format("user_id"), self._sandbox_menu),
            (
                "GET",
                "/_sandbox/richmenus/{}/image".format(segment.format("menu")),
                self._sandbox_menu_image,
            ),
            ("POST", "/_sandbox/richmenu-switch", self._sandbox_switch),
        ]

    def _sandbox_inbox(self, call: _Call) -> _Answer:
        """GET /_sandbox/inbox[/<user_id>][?after=SEQ]: what the bot sent, oldest first.

        Each entry has a ``seq`` that grows by one per delivered message, so a poller asks
        only for what came after the last one it saw; ``newest`` is the last seq given out
        (lower than a poller's own after a restart of the stand-in, which forgets all)."""
        user_id = call.params.get("user_id")
        after = call.query.get("after", "0")
        if not after.isdigit() or len(after) > 18:
            return _body_errors([_detail("must be a whole number", "after")])
        floor = int(after)
        messages = [
            entry
            for entry in self._inbox
            if (user_id is None or entry["to"] == user_id) and entry["seq"] > floor
        ]
        return _Answer(200, {"messages": messages, "newest": self._inbox_last})

    def _sandbox_reply_token(self, call: _Call) -> _Answer:
        """POST /_sandbox/reply-tokens {"userId"}: a token whose reply lands in that inbox."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
            return _body_errors([_detail("must be a LINE user id", "/userId")])
        return _Answer(200, {"replyToken": self.issue_reply_token(user_id)})

    def _sandbox_profile(self, call: _Call) -> _Answer:
        """POST /_sandbox/profiles {"userId", "displayName", "language"?}: the profile LINE
        answers for that user from now on."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        user_id, name, language = body.get("userId"), body.get("displayName"), body.get("language")
        details = []
        if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
            details.append(_detail("must be a LINE user id", "/userId"))
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_DISPLAY_NAME:
            details.append(_detail(f"must be 1-{MAX_DISPLAY_NAME} characters", "/displayName"))
        if language is not None and (
            not isinstance(language, str) or not 1 <= len(language) <= MAX_LANGUAGE
        ):
            details.append(_detail("must be a language tag such as ja or en", "/language"))
        if details:
            return _body_errors(details)
        self.add_profile(user_id, name, language)
        return _Answer(200, self._profiles[user_id])

    def _sandbox_content(self, call: _Call) -> _Answer:
        """POST /_sandbox/contents (a JPEG or PNG body): store a photo a user sends; answers
        the message id under which GET /v2/bot/message/{id}/content serves it."""
        content_type = call.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _IMAGE_TYPES:
            return _error(415, f"The content type, {content_type or 'none'}, is not supported")
        if not call.body or len(call.body) > MAX_CONTENT_BYTES:
            return _error(400, "The image must be between 1 byte and 10 MB")
        message_id = str(next(self._message_ids))
        self.add_content(message_id, call.body, content_type)
        return _Answer(200, {"messageId": message_id})

    def _sandbox_menu(self, call: _Call) -> _Answer:
        """GET /_sandbox/richmenu/<user_id>: the rich menu the LINE app shows that user (their
        own link first, then the default), with where it came from."""
        user_id = call.params["user_id"]
        if not _USER_ID.fullmatch(user_id):
            return _error(400, "The user ID is invalid")
        menu_id, source = self._user_rich_menus.get(user_id), "user"
        if menu_id is None:
            menu_id, source = self._default_rich_menu, "default"
        menu = self._rich_menus.get(menu_id) if menu_id is not None else None
        if menu is None or menu.image is None:
            return _error(404, "the user has no rich menu")
        shown: JsonObject = {"richMenuId": menu_id, "source": source, **menu.menu}
        return _Answer(200, {**shown, "aliases": dict(self._rich_menu_aliases)})

    def _sandbox_menu_image(self, call: _Call) -> _Answer:
        """GET /_sandbox/richmenus/<id>/image: the menu's uploaded image."""
        menu = self._rich_menus.get(call.params["menu"])
        if menu is None or menu.image is None:
            return _error(404, "Not found")
        data, content_type = menu.image
        return _Answer(
            200, data=data, content_type=content_type, headers={"Cache-Control": "max-age=3600"}
        )

    def _sandbox_switch(self, call: _Call) -> _Answer:
        """POST /_sandbox/richmenu-switch {"userId", "richMenuAliasId"}: a richmenuswitch tap.

        As on LINE, the menu the alias points at becomes the user's own (so changing the
        default afterwards does not change what they see); ``status`` is what the postback
        event's ``params.status`` says."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        user_id, alias = body.get("userId"), body.get("richMenuAliasId")
        details = []
        if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
            details.append(_detail("must be a LINE user id", "/userId"))
        if not isinstance(alias, str) or not _RICH_MENU_ALIAS_ID.fullmatch(alias):
            details.append(_detail("must match [a-z0-9_-]{1,32}", "/richMenuAliasId"))
        if details or not isinstance(user_id, str):
            return _body_errors(details)
        menu_id = self._rich_menu_aliases.get(alias)
        if menu_id is None:
            return _Answer(200, {"status": "RICHMENU_ALIAS_ID_NOTFOUND"})
        menu = self._rich_menus.get(menu_id)
        if menu is None or menu.image is None:
            return _Answer(200, {"status": "RICHMENU_NOTFOUND"})
        self._user_rich_menus[user_id] = menu_id
        return _Answer(200, {"status": "SUCCESS", "richMenuId": menu_id})
