"""``GET /_sandbox/``: a browser page that plays LINE for a newcomer (sandbox mode only).

The page is the LINE app's part and nothing more: it draws what the LINE stand-in received
from the bot, and it turns a tap, a text or a photo into the webhook event LINE would send,
signed with the channel secret and handed to the app's own ``POST /callback`` (in process,
through the whole WSGI stack: a second HTTP request to this server could wait for one of the
threads the page already holds). The bot answers through its queue and worker, as always.
The till panel calls the real POS API from the browser with a store key made here.

wsgi.py registers this blueprint only when there are no LINE credentials; ``init_app``
refuses too, so a production app never serves it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import urllib.error
import urllib.request
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, request, send_from_directory
from linebot.v3.messaging import ApiException

from bot.config import PROJECT_ROOT
from bot.domain.errors import UnknownCardError
from bot.jobs.sweep import sweep
from bot.line.rich_menus import STAFF_MENU_ALIAS, UserMenus
from bot.services import Services, services
from bot.store.redis_store import DuplicateStoreError
from bot.web.problems import problem
from sandbox import chat_events

bp = Blueprint(
    "sandbox_page",
    __name__,
    url_prefix="/_sandbox",
    static_folder="static",
    static_url_path="/static",
)

#: A Japanese font (bold only) the page falls back to where the machine has none.
FONT = PROJECT_ROOT / "assets" / "fonts" / "NotoSansCJKjp-Bold-subset.otf"
#: The store the page's till belongs to, and its names.
STORE_ID = "SANDBOX"
STORE_NAME = "サンドボックス店"
#: Longest text a user may send (LINE's limit for a text message, in characters).
MAX_TEXT = 5000
#: Longest postback data (LINE's limit).
MAX_POSTBACK_DATA = 300
#: Largest photo a user may send from the page, in bytes (LINE keeps originals up to 10 MB).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: Most users one poll may ask about (the page shows a handful of phones).
MAX_POLLED_USERS = 12
#: Seconds to wait for the LINE stand-in, which runs on this machine.
STANDIN_TIMEOUT = 5

_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
_ALIAS = re.compile(r"^[a-z0-9_-]{1,32}$")
_MENU_ID = re.compile(r"^richmenu-[0-9a-f]{32}$")
_PARAM_KEYS = frozenset({"date", "time", "datetime", "newRichMenuAliasId", "status"})
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class BadInput(Exception):
    """The page sent something the endpoint cannot take; the text says what."""


class StandinError(Exception):
    """The LINE stand-in did not answer, or refused."""


def init_app(app: Flask) -> None:
    """Serve the page on ``app``, if it runs in sandbox mode (otherwise do nothing)."""
    if not app.extensions["loyalty"].settings.sandbox:
        return
    app.register_blueprint(bp)


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput) -> Response:
    return problem(422, "Invalid request", str(exc))


@bp.errorhandler(StandinError)
def _standin_down(exc: StandinError) -> Response:
    return problem(502, "LINE stand-in unavailable", str(exc))


@bp.errorhandler(413)
def _too_large(exc: Exception | None) -> Response:
    return problem(413, "Too large", "Send a photo of at most 10 MB.")


@bp.errorhandler(redis.RedisError)
def _redis_down(exc: redis.RedisError) -> Response:
    return problem(503, "Redis unavailable", "Redis did not answer; is the bot running?")


@bp.before_request
def _photo_size() -> Response | None:
    # The app takes at most 1 MiB a request; a photo from a phone is larger. A body declared
    # too large is refused before any of it is read.
    if request.endpoint != "sandbox_page.photo":
        return None
    limit = MAX_PHOTO_BYTES + 64 * 1024
    if (request.content_length or 0) > limit:
        return _too_large(None)
    request.max_content_length = limit
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    # The page and its answers change with every deploy and every message.
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def page() -> Response:
    """The page itself (plain HTML, CSS and JS from static/, no build step)."""
    return send_from_directory(bp.static_folder or "", "page.html")


@bp.get("/font.otf")
def font() -> Response:
    """The Japanese font the card is drawn with, for machines that have none of their own."""
    response = send_from_directory(FONT.parent, FONT.name, max_age=86400)
    response.headers["Cache-Control"] = "max-age=86400"
    return response


@bp.post("/api/personas")
def persona() -> Response:
    """Give a persona a LINE user id (a new one unless sent) and its profile at the stand-in."""
    body = _body()
    user = body.get("userId") or "U" + secrets.token_hex(16)
    _user_id(user)
    name, language = body.get("displayName"), body.get("language", "ja")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise BadInput("displayName: 1-200 characters")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise BadInput("language: a language tag such as ja or en")
    _standin_json("/_sandbox/profiles", {"userId": user, "displayName": name, "language": language})
    return _json({"userId": user, "displayName": name, "language": language})


@bp.post("/api/events")
def send() -> Response:
    """Turn what a user did into LINE's webhook event and deliver it, signed, to /callback."""
    body = _body()
    user = _user_id(body.get("userId"))
    kind = body.get("type")
    if kind == "follow":
        event = chat_events.follow(user)
    elif kind == "unblock":
        event = chat_events.follow(user, unblocked=True)
    elif kind == "unfollow":
        event = chat_events.unfollow(user)
    elif kind == "text":
        event = chat_events.text(user, _text(body.get("text")))
    elif kind == "postback":
        event = chat_events.postback(user, _data(body.get("data")), _params(body.get("params")))
    else:
        raise BadInput("type: one of follow, unblock, unfollow, text, postback")
    return _json({"webhookStatus": _deliver(event)})


@bp.post("/api/photos")
def photo() -> Response:
    """A photo the user sends (multipart ``photo`` and ``userId``): its bytes go to the
    stand-in, which serves them as the message's content; the bot downloads them from there."""
    user = _user_id(request.form.get("userId"))
    upload = request.files.get("photo")
    data = upload.read(MAX_PHOTO_BYTES + 1) if upload is not None else b""
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise BadInput("photo: a JPEG or PNG file of at most 10 MB")
    kind = next((k for magic, k in _IMAGE_MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise BadInput("photo: LINE sends photos as JPEG or PNG; this file is neither")
    message_id = _standin("POST", "/_sandbox/contents", data, kind)["messageId"]
    return _json({"webhookStatus": _deliver(chat_events.image(user, message_id))})


@bp.post("/api/richmenu-switch")
def switch() -> Response:
    """A tab of the rich menu tapped: LINE switches the menu, then posts the postback."""
    body = _body()
    user = _user_id(body.get("userId"))
    alias, data = body.get("richMenuAliasId"), _data(body.get("data"))
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise BadInput("richMenuAliasId: 1-32 of a-z 0-9 _ -")
    switched = _standin_json(
        "/_sandbox/richmenu-switch", {"userId": user, "richMenuAliasId": alias}
    )
    params = {"status": switched["status"]}
    if switched["status"] == "SUCCESS":
        params["newRichMenuAliasId"] = alias
    delivered = _deliver(chat_events.postback(user, data, params))
    return _json({"status": switched["status"], "webhookStatus": delivered})


@bp.post("/api/poll")
def poll() -> Response:
    """Since message ``after``: what the stand-in delivered to the page's users, the rich
    menu each sees, and for ``till`` (a shopper) the card code and tickets shown now."""
    body = _body()
    after = body.get("after", 0)
    users = body.get("users", [])
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise BadInput("after: a whole number")
    if not isinstance(users, list) or len(users) > MAX_POLLED_USERS:
        raise BadInput(f"users: a list of at most {MAX_POLLED_USERS} user ids")
    wanted = {_user_id(u) for u in users}
    inbox = _standin("GET", f"/_sandbox/inbox?after={after}")
    answer: dict[str, Any] = {
        "messages": [entry for entry in inbox["messages"] if entry["to"] in wanted],
        # Lower than ``after`` when the stand-in was restarted: the page starts over.
        "newest": inbox["newest"],
        "menus": {user: _menu_of(user) for user in sorted(wanted)},
    }
    till = body.get("till")
    if till is not None:
        answer["till"] = _shown(services(), _user_id(till))
    return _json(answer)


@bp.get("/api/richmenus/<menu_id>/image")
def menu_image(menu_id: str) -> Response:
    """A deployed rich menu's image, from the stand-in."""
    if not _MENU_ID.match(menu_id):
        return problem(404, "Not Found", "No such rich menu.")
    url = f"{_standin_url()}/_sandbox/richmenus/{menu_id}/image"
    try:
        with urllib.request.urlopen(url, timeout=STANDIN_TIMEOUT) as found:  # noqa: S310
            data, kind = found.read(), found.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        exc.close()
        return problem(404, "Not Found", "No such rich menu image; deploy the menus again.")
    except OSError as exc:
        raise StandinError(_unreachable(exc)) from None
    response = Response(data, mimetype=kind)
    response.headers["Cache-Control"] = "max-age=3600"  # a menu id never changes its image
    return response


@bp.post("/api/store")
def store() -> Response:
    """The page's store, with a new POS API key (added on first use, else its key rotated)."""
    svc = services()
    try:
        key = svc.store.add_store(STORE_ID, STORE_NAME)
    except DuplicateStoreError:
        key = svc.store.rotate_key(svc.store.resolve_store_id(STORE_ID) or STORE_ID)
    return _json({"storeId": STORE_ID, "name": svc.store.store_name(STORE_ID), "key": key})


@bp.post("/api/staff")
def staff() -> Response:
    """Register a persona as staff of the page's store and link the staff rich menu, as
    ``flask --app wsgi staff add`` does."""
    user = _user_id(_body().get("userId"))
    svc = services()
    if svc.store.resolve_store_id(STORE_ID) is None:
        return problem(409, "No store yet", "Create the store in the till panel first.")
    svc.staff.add(user, STORE_ID)
    menus = UserMenus(svc.line.api)
    try:
        menu_id = menus.alias_target(STAFF_MENU_ALIAS)
        if menu_id is not None:
            menus.link_user(user, menu_id)
    except ApiException as exc:
        raise StandinError(f"linking the staff menu failed: HTTP {exc.status}") from None
    return _json({"storeId": STORE_ID, "staffMenu": menu_id})


@bp.post("/api/sweep")
def run_sweep() -> Response:
    """Run the daily sweep now (``flask --app wsgi jobs expiry``): expire, notify, remind."""
    svc = services()
    return _json(dataclasses.asdict(sweep(svc, svc.clock())))


# -- helpers ---------------------------------------------------------------------------------


def _json(value: Any) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), mimetype="application/json")


def _body() -> dict[str, Any]:
    """The request's JSON object, or BadInput."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("send a JSON object (Content-Type: application/json)")
    return body


def _user_id(value: object) -> str:
    if not isinstance(value, str) or not _USER_ID.match(value):
        raise BadInput("userId: a LINE user id, U followed by 32 hex digits")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise BadInput(f"text: 1-{MAX_TEXT} characters")
    return value


def _data(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_POSTBACK_DATA:
        raise BadInput(f"data: the postback data, 1-{MAX_POSTBACK_DATA} characters")
    return value


def _params(value: object) -> dict[str, str] | None:
    """A datetime picker's answer (``date``, ``time`` or ``datetime``), or None."""
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not set(value) <= _PARAM_KEYS
        or not all(isinstance(v, str) and len(v) <= 32 for v in value.values())
    ):
        raise BadInput("params: date, time or datetime, as LINE's datetime picker sends them")
    return value


def _deliver(event: chat_events.Event) -> int:
    """Sign the event as LINE would and hand it to the app's own /callback; its status."""
    if "replyToken" in event:
        user = event["source"]["userId"]
        event["replyToken"] = _standin_json("/_sandbox/reply-tokens", {"userId": user})[
            "replyToken"
        ]
    raw, signature = chat_events.signed_body(services().settings.channel_secret, event)
    answer = current_app.test_client().post(
        "/callback",
        data=raw,
        headers={"X-Line-Signature": signature},
        content_type="application/json",
    )
    return answer.status_code


def _menu_of(user: str) -> dict[str, Any] | None:
    """The rich menu the user sees, as the stand-in has it, or None."""
    return _standin("GET", f"/_sandbox/richmenu/{user}", missing_ok=True)


def _shown(svc: Services, user: str) -> dict[str, Any]:
    """The card code the shopper's card shows now and their usable tickets."""
    member = svc.store.member_for_user(user)
    if member is None:
        return {"card": None, "tickets": []}
    now = svc.clock()
    try:
        code = svc.card_codes.current(member, now)
        card: dict[str, Any] | None = {"code": code.value, "validUntil": code.expires_at}
    except UnknownCardError:
        card = None
    tickets = []
    for ticket in sorted(svc.tickets.tickets(member.member_id), key=lambda t: t.expires_at):
        if ticket.usable(now):
            reward = svc.settings.program.reward(ticket.reward)
            name = reward.label(member.language) if reward is not None else ticket.reward
            tickets.append({"code": ticket.code, "reward": name, "expiresAt": ticket.expires_at})
    return {"card": card, "tickets": tickets, "number": member.number}


def _standin_url() -> str:
    return (services().settings.line_api_base_url or "").rstrip("/")


def _unreachable(exc: OSError) -> str:
    reason = getattr(exc, "reason", exc)
    return (
        f"the LINE stand-in at {_standin_url()} did not answer ({reason}); is `make run` running?"
    )


def _standin_json(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return _standin("POST", path, json.dumps(body).encode(), "application/json")


def _standin(
    method: str,
    path: str,
    data: bytes | None = None,
    kind: str | None = None,
    *,
    missing_ok: bool = False,
) -> Any:
    """Call one of the stand-in's own ``/_sandbox/`` endpoints (never LINE's API: the bot's
    SDK client does that) and return its JSON answer (None for a 404 when ``missing_ok``)."""
    headers = {"Content-Type": kind} if kind else {}
    call = urllib.request.Request(  # noqa: S310 - the stand-in's URL from the settings
        _standin_url() + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(call, timeout=STANDIN_TIMEOUT) as answer:  # noqa: S310
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        exc.close()
        if missing_ok and exc.code == 404:
            return None
        raise StandinError(f"the LINE stand-in answered HTTP {exc.code}: {detail}") from None
    except OSError as exc:
        raise StandinError(_unreachable(exc)) from None
