"""A local stand-in for the LINE Messaging API platform, for sandbox mode and tests.

Point the real line-bot-sdk at it with ``Configuration(host=fake.url)``: the SDK then sends both
api.line.me and api-data.line.me paths here. Answers follow LINE's documented behaviour (status
codes, error bodies, retry keys, single-use reply tokens) closely enough for the SDK's strict
response models and for the bot's error handling to be exercised without a LINE channel.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import itertools
import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

# Limits from the Messaging API reference (line-api-facts.md §2, §3, §4).
MAX_MESSAGES = 5
MAX_TEXT_CHARS = 5000
MAX_ALT_TEXT_CHARS = 1500
# "30 KB" / "50 KB" are not defined more precisely by LINE; decimal KB is the stricter reading.
BUBBLE_MAX_BYTES = 30_000
CAROUSEL_MAX_BYTES = 50_000
MAX_CAROUSEL_BUBBLES = 12
MAX_MULTICAST_RECIPIENTS = 500
MAX_REQUEST_BYTES = 2 * 1024 * 1024
RETRY_KEY_TTL_SECONDS = 24 * 60 * 60
HISTORY_LIMIT = 1000
# Reply tokens are remembered so a second use fails; bound the memory of a long-running sandbox.
TOKEN_MEMORY_LIMIT = 100_000
MAX_RICH_MENU_AREAS = 20
MAX_RICH_MENU_IMAGE_BYTES = 1024 * 1024
MAX_BULK_RICH_MENU_USERS = 500
SHUTDOWN_POLL_SECONDS = 0.02

SANDBOX_PREFIX = "/_sandbox/"
AUTH_FAILED_MESSAGE = (
    "Authentication failed due to the following reason: invalid token. "
    "Confirm that the access token in the authorization header is valid."
)
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
RETRY_KEY_ACCEPTED_MESSAGE = "The retry key is already accepted"
RETRY_KEY_UNSUPPORTED_MESSAGE = "The retry key is not supported for this API"
RETRY_KEY_INVALID_MESSAGE = "The value of the X-Line-Retry-Key header is not a valid UUID"
INVALID_REPLY_TOKEN_MESSAGE = "Invalid reply token"  # noqa: S105 - an error text
FAILED_TO_SEND_MESSAGE = "Failed to send messages"
SANDBOX_DISPLAY_NAME = "Sandbox shopper"
SANDBOX_LANGUAGE = "ja"

_USER_ID = re.compile(r"U[0-9a-f]{32}")
_CHAT_ID = re.compile(r"[UCR][0-9a-f]{32}")
_RETRY_KEY = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_RICH_MENU_ALIAS_ID = re.compile(r"[a-z0-9_-]{1,32}")
_RETRY_KEY_PATHS = frozenset(
    f"/v2/bot/message/{kind}" for kind in ("push", "multicast", "narrowcast", "broadcast")
)
# Message types whose sentMessages entry carries a quoteToken (they can be quoted later).
_QUOTABLE_TYPES = frozenset({"text", "textV2", "sticker", "image", "video"})
# Keys holding image/video URLs inside message objects; LINE requires HTTPS for all of them.
_MEDIA_URL_KEYS = frozenset(
    {"url", "previewUrl", "originalContentUrl", "previewImageUrl", "imageUrl", "iconUrl"}
    | {"thumbnailImageUrl", "baseUrl"}
)
_DEFAULT_ERROR_MESSAGES = {
    400: "Bad request",
    401: AUTH_FAILED_MESSAGE,
    403: "Access to this API is not available for your account",
    404: "Not found",
    409: RETRY_KEY_ACCEPTED_MESSAGE,
    410: "Gone",
    413: "Request entity too large",
    415: "Unsupported media type",
    429: "The API rate limit has been exceeded. Try again later.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake answered, with the answer's status and JSON body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any | None
    status: int
    response_json: Any | None


@dataclass(frozen=True)
class _Answer:
    """What a route handler answers: JSON (default) or raw bytes."""

    status: int
    json: Any | None = None
    data: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Call:
    """A parsed incoming request handed to route handlers."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None
    json_ok: bool
    request_id: str
    params: dict[str, str]

    @property
    def retry_key(self) -> str | None:
        """Return the X-Line-Retry-Key header value, if any."""
        return self.headers.get("x-line-retry-key")


@dataclass
class _Fault:
    """A pending injected failure for a path (exact, or prefix ending in '/')."""

    path: str
    status: int
    remaining: int
    body: JsonObject | None
    accept_first: bool


@dataclass
class _Chaos:
    """Random failures for a path: a share of requests fail or answer late, from a seed."""

    path: str
    rate: float
    statuses: tuple[int, ...]
    accept_first: float
    delay_rate: float
    delay: float
    rng: random.Random


@dataclass
class _AcceptedKey:
    """A retry key the fake accepted, and what it answered the first time."""

    request_id: str
    sent_messages: list[JsonObject] | None
    accepted_at: float
    deliveries: int = 1


@dataclass
class _RichMenu:
    """A rich menu created through the API."""

    menu: JsonObject
    image: tuple[bytes, str] | None = None


Handler = Callable[[_Call], _Answer]


class _QuietRequestHandler(WSGIRequestHandler):
    """Request handler that does not log request lines (paths carry LINE user IDs)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Drop the per-request access log line."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop informational messages; errors still go through log_error."""


def _error(status: int, message: str, details: list[JsonObject] | None = None) -> _Answer:
    """Build a LINE-style error answer."""
    body: JsonObject = {"message": message}
    if details:
        body["details"] = details
    return _Answer(status, body)


def _body_errors(details: list[JsonObject]) -> _Answer:
    """Build the 400 answer LINE gives for request-body validation failures."""
    return _error(400, f"The request body has {len(details)} error(s)", details)


def _detail(message: str, prop: str) -> JsonObject:
    """Build one entry of an error answer's `details`."""
    return {"message": message, "property": prop}


def _utf16_length(text: str) -> int:
    """Count characters the way LINE does: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _compact_size(value: Any) -> int:
    """Return the UTF-8 size of the compact JSON encoding LINE measures Flex limits on."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _now_iso() -> str:
    """Return the current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _path_matches(pattern: str, path: str) -> bool:
    """Match an exact path, or any path under a prefix ending in '/'."""
    return path == pattern or (pattern.endswith("/") and path.startswith(pattern))


class _MessageChecker:
    """Checks message objects against the limits LINE enforces but the SDK does not."""

    def __init__(self, require_https: bool) -> None:
        """Remember whether media URLs must use HTTPS."""
        self._require_https = require_https

    def check(self, messages: Any) -> list[JsonObject]:
        """Return `details` entries for everything wrong with a `messages` array."""
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
            return [_detail(f"Size must be between 1 and {MAX_MESSAGES}", "messages")]
        details: list[JsonObject] = []
        for index, message in enumerate(messages):
            details.extend(self._check_message(message, f"messages[{index}]"))
        return details

    def _check_message(self, message: Any, prop: str) -> list[JsonObject]:
        """Check one message object."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return [_detail("must be specified", f"{prop}.type")]
        details: list[JsonObject] = []
        kind = message["type"]
        if kind in ("text", "textV2"):
            details.extend(_check_text(message.get("text"), f"{prop}.text", MAX_TEXT_CHARS))
        elif kind == "flex":
            details.extend(
                _check_text(message.get("altText"), f"{prop}.altText", MAX_ALT_TEXT_CHARS)
            )
            details.extend(_check_flex_container(message.get("contents"), f"{prop}.contents"))
        elif kind in ("template", "imagemap"):
            details.extend(
                _check_text(message.get("altText"), f"{prop}.altText", MAX_ALT_TEXT_CHARS)
            )
        if self._require_https:
            details.extend(
                _detail("invalid uri scheme", url_prop)
                for url_prop, url in _media_urls(message, prop)
                if not url.startswith("https://")
            )
        return details


def _check_text(value: Any, prop: str, limit: int) -> list[JsonObject]:
    """Check a required string property against a UTF-16 length limit."""
    if not isinstance(value, str):
        return [_detail("must be specified", prop)]
    if _utf16_length(value) > limit:
        return [_detail(f"Length must be between 0 and {limit}", prop)]
    return []


def _check_flex_container(container: Any, prop: str) -> list[JsonObject]:
    """Check a Flex bubble or carousel against LINE's size limits."""
    if not isinstance(container, dict):
        return [_detail("must be specified", prop)]
    if container.get("type") == "bubble":
        return _check_bubble_size(container, prop)
    if container.get("type") != "carousel":
        return [_detail("must be one of [bubble, carousel]", f"{prop}.type")]
    bubbles = container.get("contents")
    if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= MAX_CAROUSEL_BUBBLES:
        return [_detail(f"Size must be between 1 and {MAX_CAROUSEL_BUBBLES}", f"{prop}.contents")]
    details: list[JsonObject] = []
    for index, bubble in enumerate(bubbles):
        details.extend(_check_bubble_size(bubble, f"{prop}.contents[{index}]"))
    if _compact_size(container) > CAROUSEL_MAX_BYTES:
        details.append(_detail(f"Size must be at most {CAROUSEL_MAX_BYTES} bytes", prop))
    return details


def _check_bubble_size(bubble: Any, prop: str) -> list[JsonObject]:
    """Check one bubble against the 30 KB limit."""
    if _compact_size(bubble) > BUBBLE_MAX_BYTES:
        return [_detail(f"Size must be at most {BUBBLE_MAX_BYTES} bytes", prop)]
    return []


def _media_urls(node: Any, prop: str) -> Iterator[tuple[str, str]]:
    """Yield (property path, url) for every image/video URL inside a message object."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{prop}.{key}"
            if key in _MEDIA_URL_KEYS and isinstance(value, str):
                yield child, value
            else:
                yield from _media_urls(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _media_urls(value, f"{prop}[{index}]")


def _check_rich_menu(menu: Any) -> list[JsonObject]:
    """Return `details` for a rich menu object that LINE would reject."""
    if not isinstance(menu, dict):
        return [_detail("must be an object", "")]
    details: list[JsonObject] = []
    size = menu.get("size")
    width = size.get("width") if isinstance(size, dict) else None
    height = size.get("height") if isinstance(size, dict) else None
    if not isinstance(width, int) or not isinstance(height, int):
        details.append(_detail("must be specified", "size"))
    elif not 800 <= width <= 2500 or height < 250 or width / height < 1.45:
        details.append(_detail("invalid size", "size"))
    if not isinstance(menu.get("selected"), bool):
        details.append(_detail("must be specified", "selected"))
    details.extend(_check_text(menu.get("name"), "name", 300))
    details.extend(_check_text(menu.get("chatBarText"), "chatBarText", 14))
    areas = menu.get("areas")
    if not isinstance(areas, list) or len(areas) > MAX_RICH_MENU_AREAS:
        details.append(_detail(f"Size must be between 0 and {MAX_RICH_MENU_AREAS}", "areas"))
    return details


class FakeLine:
    """An in-process HTTP server that behaves like the LINE Messaging API platform."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str | None = None,
        *,
        require_https: bool = False,
        strict_reply_tokens: bool = False,
    ) -> None:
        """Configure the fake; nothing listens until start()."""
        self._host = host
        self._port = port
        self._access_token = access_token
        self._strict_reply_tokens = strict_reply_tokens
        self._checker = _MessageChecker(require_https)
        self._lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()
        self.url = ""
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve in a background daemon thread and return self."""
        if self._server is not None:
            return self
        server = make_server(
            self._host,
            self._port,
            self._wsgi,
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        self._server = server
        self.url = f"http://{self._host}:{server.server_port}"
        self._thread = threading.Thread(
            # stop() waits up to one poll interval; the 0.5 s default would slow every test.
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="fake-line",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        """Start the server for a with-block."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server at the end of a with-block."""
        self.stop()

    def reset(self) -> None:
        """Forget requests, deliveries, tokens, retry keys, faults, delays, quota and data."""
        with self._lock:
            self._recorded: collections.deque[RecordedRequest] = collections.deque(
                maxlen=HISTORY_LIMIT
            )
            self._inbox: collections.deque[JsonObject] = collections.deque(maxlen=HISTORY_LIMIT)
            self._replies: collections.deque[JsonObject] = collections.deque(maxlen=HISTORY_LIMIT)
            self._pushes: collections.deque[JsonObject] = collections.deque(maxlen=HISTORY_LIMIT)
            self._issued_tokens: collections.OrderedDict[str, str | None] = (
                collections.OrderedDict()
            )
            self._used_tokens: collections.OrderedDict[str, None] = collections.OrderedDict()
            self._retry_keys: dict[str, _AcceptedKey] = {}
            self._faults: list[_Fault] = []
            self._chaos: list[_Chaos] = []
            self._delays: dict[str, float] = {}
            self._monthly_quota: int | None = None
            self._usage = 0
            self._profiles: dict[str, JsonObject] = {}
            self._contents: dict[str, tuple[bytes, str]] = {}
            self._rich_menus: dict[str, _RichMenu] = {}
            self._default_rich_menu: str | None = None
            self._rich_menu_aliases: dict[str, str] = {}
            self._user_rich_menus: dict[str, str] = {}
            self._message_ids = itertools.count(600_000_000_000_000_001)

    # -- inspection ------------------------------------------------------------------------

    def recorded(self, path: str | None = None) -> list[RecordedRequest]:
        """Return recorded requests (the last 1000), optionally only those under `path`."""
        with self._lock:
            return [r for r in self._recorded if path is None or r.path.startswith(path)]

    def replies(self) -> list[JsonObject]:
        """Return the bodies of accepted reply requests, in order."""
        with self._lock:
            return list(self._replies)

    def pushes(self) -> list[JsonObject]:
        """Return the bodies of accepted push requests, in order (one per distinct retry key)."""
        with self._lock:
            return list(self._pushes)

    def deliveries_by_retry_key(self) -> dict[str, int]:
        """Return how many times each retry key was accepted (1 unless something is wrong)."""
        with self._lock:
            return {key: accepted.deliveries for key, accepted in self._retry_keys.items()}

    def messages_for(self, user_id: str) -> list[JsonObject]:
        """Return message objects delivered to a user by push, multicast or attributed reply."""
        with self._lock:
            return [entry["message"] for entry in self._inbox if entry["to"] == user_id]

    def user_rich_menus(self) -> dict[str, str]:
        """Return the per-user rich menu links (user id -> rich menu id)."""
        with self._lock:
            return dict(self._user_rich_menus)

    # -- set-up ----------------------------------------------------------------------------

    def issue_reply_token(self, user_id: str | None = None) -> str:
        """Return a fresh reply token (32 hex chars) attributed to user_id."""
        token = secrets.token_hex(16)
        with self._lock:
            self._issued_tokens[token] = user_id
            _trim(self._issued_tokens)
        return token

    def add_profile(
        self,
        user_id: str,
        display_name: str,
        language: str | None = None,
        picture_url: str | None = None,
    ) -> None:
        """Make GET /v2/bot/profile/{user_id} answer this profile."""
        profile: JsonObject = {"displayName": display_name, "userId": user_id}
        if language is not None:
            profile["language"] = language
        if picture_url is not None:
            profile["pictureUrl"] = picture_url
        with self._lock:
            self._profiles[user_id] = profile

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Make GET /v2/bot/message/{message_id}/content answer these bytes."""
        with self._lock:
            self._contents[message_id] = (bytes(data), content_type)

    def fail_next(
        self,
        path: str,
        status: int,
        count: int = 1,
        *,
        body: JsonObject | None = None,
        accept_first: bool = False,
    ) -> None:
        """Answer `status` to the next `count` requests to path (exact, or prefix ending in '/').

        With accept_first the request is processed normally first (a push is delivered and its
        retry key remembered) and only the answer is replaced, like a lost response.
        """
        with self._lock:
            self._faults.append(_Fault(path, status, count, body, accept_first))

    def fail_randomly(
        self,
        path: str,
        rate: float,
        *,
        statuses: Iterable[int] = (500,),
        accept_first: float = 0.0,
        delay_rate: float = 0.0,
        delay: float = 0.0,
        seed: int = 0,
    ) -> None:
        """Fail a `rate` share of requests to path with one of `statuses`, chosen by a seeded RNG.

        A share `accept_first` of the 5xx failures is processed first (a lost answer, as with
        fail_next); a further `delay_rate` share is answered normally after `delay` seconds (a
        client with a shorter read timeout sees a timeout, though LINE took the request).
        Explicit fail_next faults come first. Rate 0 turns it off for the path.
        """
        with self._lock:
            self._chaos = [c for c in self._chaos if c.path != path]
            if rate > 0 or delay_rate > 0:
                rng = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets
                self._chaos.append(
                    _Chaos(path, rate, tuple(statuses), accept_first, delay_rate, delay, rng)
                )

    def set_delay(self, path: str, seconds: float) -> None:
        """Sleep `seconds` before answering requests to path (0 removes the delay)."""
        with self._lock:
            if seconds > 0:
                self._delays[path] = seconds
            else:
                self._delays.pop(path, None)

    def set_monthly_quota(self, pushes: int | None) -> None:
        """Answer 429 to pushes once this many recipients were reached (None: unlimited)."""
        with self._lock:
            self._monthly_quota = pushes

    # -- WSGI ------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer one HTTP request."""
        request = Request(environ)
        call = self._parse(request)
        chaos_delay, chaos_fault = self._roll_chaos(call.path)
        delay = max(self._delay_for(call.path), chaos_delay)
        if delay:
            time.sleep(delay)
        with self._lock:
            answer = self._answer(call, chaos_fault)
            response_json = answer.json if answer.data is None else None
            self._recorded.append(
                RecordedRequest(
                    method=call.method,
                    path=call.path,
                    query=request.args.to_dict(),
                    headers=call.headers,
                    body=call.body,
                    json=call.json,
                    status=answer.status,
                    response_json=response_json,
                )
            )
        return _to_response(answer, call.request_id)(environ, start_response)

    def _parse(self, request: Request) -> _Call:
        """Read the request body and decode JSON when it is JSON."""
        body = request.get_data(cache=False)
        parsed: Any | None = None
        json_ok = False
        if body and (request.mimetype in ("", "application/json")):
            try:
                parsed = json.loads(body)
                json_ok = True
            except ValueError:
                parsed = None
        return _Call(
            method=request.method,
            path=request.path,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            json=parsed,
            json_ok=json_ok,
            request_id=uuid.uuid4().hex,
            params={},
        )

    def _delay_for(self, path: str) -> float:
        """Return the configured delay for a path, preferring the most specific match."""
        with self._lock:
            matches = [(len(p), s) for p, s in self._delays.items() if _path_matches(p, path)]
        return max(matches)[1] if matches else 0.0

    def _roll_chaos(self, path: str) -> tuple[float, _Fault | None]:
        """Decide a request's random delay and failure (fail_randomly)."""
        with self._lock:
            for chaos in self._chaos:
                if not _path_matches(chaos.path, path):
                    continue
                roll = chaos.rng.random()
                if roll < chaos.rate:
                    status = chaos.rng.choice(chaos.statuses)
                    accept = status >= 500 and chaos.rng.random() < chaos.accept_first
                    return 0.0, _Fault(path, status, 1, None, accept)
                if roll < chaos.rate + chaos.delay_rate:
                    return chaos.delay, None
        return 0.0, None

    def _answer(self, call: _Call, chaos: _Fault | None = None) -> _Answer:
        """Apply fault injection, then process the request normally."""
        fault = self._take_fault(call.path) or chaos
        if fault is not None and not fault.accept_first:
            return _fault_answer(fault)
        answer = self._process(call)
        return _fault_answer(fault) if fault is not None else answer

    def _take_fault(self, path: str) -> _Fault | None:
        """Consume one pending fault for path, if any."""
        for fault in self._faults:
            if _path_matches(fault.path, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _process(self, call: _Call) -> _Answer:
        """Authenticate, route and run the handler for a request."""
        is_line_api = not call.path.startswith(SANDBOX_PREFIX)
        if is_line_api and len(call.body) > MAX_REQUEST_BYTES:
            return _error(413, _DEFAULT_ERROR_MESSAGES[413])
        if is_line_api and not self._authorized(call):
            return _error(401, AUTH_FAILED_MESSAGE)
        handler, params, allowed = self._route(call.method, call.path)
        if handler is None:
            return _error(405, "Method not allowed") if allowed else _error(404, "Not found")
        if is_line_api and call.retry_key is not None:
            if call.path not in _RETRY_KEY_PATHS:
                return _error(400, RETRY_KEY_UNSUPPORTED_MESSAGE)
            if not _RETRY_KEY.fullmatch(call.retry_key):
                return _error(400, RETRY_KEY_INVALID_MESSAGE)
        return handler(_with_params(call, params))

    def _authorized(self, call: _Call) -> bool:
        """Check the bearer token when the fake was given one."""
        if self._access_token is None:
            return True
        expected = f"Bearer {self._access_token}"
        return secrets.compare_digest(call.headers.get("authorization", ""), expected)

    def _route(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """Find the handler for method+path; the flag says whether the path exists at all."""
        path_known = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method == method:
                return handler, match.groupdict(), True
            path_known = True
        return None, {}, path_known

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        """List (method, path regex, handler); literal paths before templated ones."""
        segment = r"(?P<{}>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/v2/bot/message/reply", self._reply),
            ("POST", "/v2/bot/message/push", self._push),
            ("POST", "/v2/bot/message/multicast", self._multicast),
            ("POST", "/v2/bot/message/broadcast", self._broadcast),
            ("POST", "/v2/bot/message/narrowcast", self._narrowcast),
            (
                "POST",
                "/v2/bot/message/validate/(?P<kind>reply|push|multicast|narrowcast|broadcast)",
                self._validate_messages,
            ),
            ("GET", "/v2/bot/message/quota", self._quota),
            ("GET", "/v2/bot/message/quota/consumption", self._quota_consumption),
            (
                "GET",
                "/v2/bot/message/{}/content".format(segment.format("message_id")),
                self._content,
            ),
            ("GET", "/v2/bot/profile/" + segment.format("user_id"), self._profile),
            ("GET", "/v2/bot/info", self._bot_info),
            ("POST", "/v2/bot/chat/loading/start", self._loading),
            ("POST", "/v2/bot/richmenu", self._create_rich_menu),
            ("POST", "/v2/bot/richmenu/validate", self._validate_rich_menu),
            ("GET", "/v2/bot/richmenu/list", self._list_rich_menus),
            ("POST", "/v2/bot/richmenu/alias", self._create_alias),
            ("GET", "/v2/bot/richmenu/alias/list", self._list_aliases),
            ("GET", "/v2/bot/richmenu/alias/" + segment.format("alias"), self._get_alias),
            ("POST", "/v2/bot/richmenu/alias/" + segment.format("alias"), self._update_alias),
            ("POST", "/v2/bot/richmenu/bulk/link", self._bulk_link),
            ("DELETE", "/v2/bot/richmenu/alias/" + segment.format("alias"), self._delete_alias),
            ("POST", "/v2/bot/richmenu/{}/content".format(segment.format("menu")), self._upload),
            ("GET", "/v2/bot/richmenu/{}/content".format(segment.format("menu")), self._download),
            ("GET", "/v2/bot/richmenu/" + segment.format("menu"), self._get_rich_menu),
            ("DELETE", "/v2/bot/richmenu/" + segment.format("menu"), self._delete_rich_menu),
            ("GET", "/v2/bot/user/all/richmenu", self._get_default_menu),
            ("DELETE", "/v2/bot/user/all/richmenu", self._clear_default_menu),
            ("POST", "/v2/bot/user/all/richmenu/" + segment.format("menu"), self._set_default),
            ("GET", "/v2/bot/user/{}/richmenu".format(segment.format("user")), self._user_menu),
            ("DELETE", "/v2/bot/user/{}/richmenu".format(segment.format("user")), self._unlink),
            (
                "POST",
                "/v2/bot/user/{}/richmenu/{}".format(
                    segment.format("user"), segment.format("menu")
                ),
                self._link,
            ),
            ("GET", "/_sandbox/inbox", self._sandbox_inbox),
            ("POST", "/_sandbox/reply-tokens", self._sandbox_reply_token),
            ("GET", "/_sandbox/inbox/" + segment.format("user_id"), self._sandbox_inbox),
        ]
        return [(method, re.compile(path), handler) for method, path, handler in table]

    # -- sending ---------------------------------------------------------------------------

    def _reply(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/reply: single-use tokens, no retry key, no quota."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        details = []
        token = body.get("replyToken")
        if not isinstance(token, str) or not token:
            details.append(_detail("must be specified", "replyToken"))
        details.extend(self._checker.check(body.get("messages")))
        if details or not isinstance(token, str):
            return _body_errors(details)
        if token in self._used_tokens or (
            self._strict_reply_tokens and token not in self._issued_tokens
        ):
            return _error(400, INVALID_REPLY_TOKEN_MESSAGE)
        self._used_tokens[token] = None
        _trim(self._used_tokens)
        user_id = self._issued_tokens.pop(token, None)
        self._replies.append(body)
        self._deliver([user_id], "reply", body["messages"])
        return _Answer(200, {"sentMessages": self._sent_messages(body["messages"])})

    def _send_body(self, call: _Call) -> tuple[JsonObject, _Answer | None]:
        """The JSON body of a send, or the answer refusing it (bad JSON, a used retry key)."""
        body, problem = _json_object(call)
        if problem is not None:
            return body, problem
        return body, self._duplicate_retry_key(call)

    def _push(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/push: one user, group or room."""
        body, refused = self._send_body(call)
        if refused is not None:
            return refused
        to = body.get("to")
        details = [] if isinstance(to, str) else [_detail("must be specified", "to")]
        details.extend(self._checker.check(body.get("messages")))
        if details or not isinstance(to, str):
            return _body_errors(details)
        if not _CHAT_ID.fullmatch(to):
            return _error(400, FAILED_TO_SEND_MESSAGE)
        if self._over_quota(1):
            return _error(429, MONTHLY_LIMIT_MESSAGE)
        sent = self._sent_messages(body["messages"])
        self._accept_send(call, recipients=[to], sent_messages=sent)
        self._pushes.append(body)
        self._deliver([to], "push", body["messages"])
        return _Answer(200, {"sentMessages": sent})

    def _multicast(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/multicast: up to 500 user IDs, answers {}."""
        body, refused = self._send_body(call)
        if refused is not None:
            return refused
        to = body.get("to")
        details = []
        if not isinstance(to, list) or not 1 <= len(to) <= MAX_MULTICAST_RECIPIENTS:
            details.append(_detail(f"Size must be between 1 and {MAX_MULTICAST_RECIPIENTS}", "to"))
        details.extend(self._checker.check(body.get("messages")))
        if details or not isinstance(to, list):
            return _body_errors(details)
        users = [user for user in to if isinstance(user, str) and _USER_ID.fullmatch(user)]
        if len(users) != len(to):
            return _error(400, FAILED_TO_SEND_MESSAGE)
        if self._over_quota(len(users)):
            return _error(429, MONTHLY_LIMIT_MESSAGE)
        self._accept_send(call, recipients=users, sent_messages=None)
        self._deliver(list(users), "multicast", body["messages"])
        return _Answer(200, {})

    def _broadcast(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/broadcast: all friends (none are modelled), answers {}."""
        return self._send_to_everyone(call, "broadcast", 200)

    def _narrowcast(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/narrowcast: asynchronous on LINE, answers 202 {}."""
        return self._send_to_everyone(call, "narrowcast", 202)

    def _send_to_everyone(self, call: _Call, via: str, status: int) -> _Answer:
        """Accept a broadcast-like send; recipients are unknown so the inbox has to=None."""
        body, refused = self._send_body(call)
        if refused is not None:
            return refused
        details = self._checker.check(body.get("messages"))
        if details:
            return _body_errors(details)
        self._accept_send(call, recipients=[], sent_messages=None)
        self._deliver([None], via, body["messages"])
        return _Answer(status, {})

    def _duplicate_retry_key(self, call: _Call) -> _Answer | None:
        """Answer 409 when the request's retry key was already accepted within 24 hours."""
        key = call.retry_key
        if key is None:
            return None
        self._expire_retry_keys()
        accepted = self._retry_keys.get(key)
        if accepted is None:
            return None
        body: JsonObject = {"message": RETRY_KEY_ACCEPTED_MESSAGE}
        if accepted.sent_messages is not None:
            body["sentMessages"] = accepted.sent_messages
        return _Answer(409, body, headers={"x-line-accepted-request-id": accepted.request_id})

    def _accept_send(
        self, call: _Call, *, recipients: list[str], sent_messages: list[JsonObject] | None
    ) -> None:
        """Count quota usage and remember the retry key of an accepted send."""
        self._usage += len(recipients)
        if call.retry_key is not None:
            self._retry_keys[call.retry_key] = _AcceptedKey(
                call.request_id, sent_messages, time.monotonic()
            )

    def _expire_retry_keys(self) -> None:
        """Forget retry keys older than 24 hours, as LINE does."""
        cutoff = time.monotonic() - RETRY_KEY_TTL_SECONDS
        for key in [k for k, v in self._retry_keys.items() if v.accepted_at < cutoff]:
            del self._retry_keys[key]

    def _over_quota(self, recipients: int) -> bool:
        """Say whether sending to `recipients` more users would exceed the monthly quota."""
        return self._monthly_quota is not None and self._usage + recipients > self._monthly_quota

    def _sent_messages(self, messages: list[JsonObject]) -> list[JsonObject]:
        """Build the sentMessages array: numeric string IDs, quote tokens for quotable types."""
        sent = []
        for message in messages:
            entry: JsonObject = {"id": str(next(self._message_ids))}
            if message.get("type") in _QUOTABLE_TYPES:
                entry["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(entry)
        return sent

    def _deliver(self, recipients: list[str | None], via: str, messages: list[JsonObject]) -> None:
        """Append delivered messages to the sandbox inbox."""
        at = _now_iso()
        for recipient in recipients:
            for message in messages:
                self._inbox.append({"to": recipient, "via": via, "at": at, "message": message})

    def _validate_messages(self, call: _Call) -> _Answer:
        """POST /v2/bot/message/validate/{kind}: check messages without sending."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        details = self._checker.check(body.get("messages"))
        return _body_errors(details) if details else _Answer(200, {})

    # -- other messaging endpoints ---------------------------------------------------------

    def _quota(self, call: _Call) -> _Answer:
        """GET /v2/bot/message/quota."""
        if self._monthly_quota is None:
            return _Answer(200, {"type": "none"})
        return _Answer(200, {"type": "limited", "value": self._monthly_quota})

    def _quota_consumption(self, call: _Call) -> _Answer:
        """GET /v2/bot/message/quota/consumption."""
        return _Answer(200, {"totalUsage": self._usage})

    def _content(self, call: _Call) -> _Answer:
        """GET /v2/bot/message/{messageId}/content (api-data host)."""
        stored = self._contents.get(call.params["message_id"])
        if stored is None:
            return _error(404, "Not found")
        data, content_type = stored
        return _Answer(200, data=data, content_type=content_type)

    def _profile(self, call: _Call) -> _Answer:
        """GET /v2/bot/profile/{userId}; well-formed unknown IDs get a generated profile."""
        user_id = call.params["user_id"]
        profile = self._profiles.get(user_id)
        if profile is None and _USER_ID.fullmatch(user_id):
            # The sandbox must work without set-up, so any plausible user has a profile.
            profile = {
                "displayName": SANDBOX_DISPLAY_NAME,
                "userId": user_id,
                "language": SANDBOX_LANGUAGE,
            }
        return _Answer(200, profile) if profile is not None else _error(404, "Not found")

    def _bot_info(self, call: _Call) -> _Answer:
        """GET /v2/bot/info."""
        return _Answer(
            200,
            {
                "userId": "U" + "0" * 31 + "1",
                "basicId": "@sandbox",
                "displayName": "Sandbox bot",
                "chatMode": "bot",
                "markAsReadMode": "auto",
            },
        )

    def _loading(self, call: _Call) -> _Answer:
        """POST /v2/bot/chat/loading/start: 1:1 chats only, 5-60 s in steps of 5, answers 202."""
        body, problem = _json_object(call)
        if problem is not None:
            return problem
        details = []
        chat_id = body.get("chatId")
        if not isinstance(chat_id, str) or not _USER_ID.fullmatch(chat_id):
            details.append(_detail("must be a user ID", "chatId"))
        seconds = body.get("loadingSeconds", 20)
        if not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5:
            details.append(_detail("must be a multiple of 5 between 5 and 60", "loadingSeconds"))
        return _body_errors(details) if details else _Answer(202, {})

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

    # -- sandbox inspection ----------------------------------------------------------------

    def _sandbox_inbox(self, call: _Call) -> _Answer:
        """GET /_sandbox/inbox[/<user_id>]: what the bot sent, newest last."""
        user_id = call.params.get("user_id")
        messages = [entry for entry in self._inbox if user_id is None or entry["to"] == user_id]
        return _Answer(200, {"messages": messages})

    def _sandbox_reply_token(self, call: _Call) -> _Answer:
        """POST /_sandbox/reply-tokens {"userId"}: a token whose reply lands in that inbox."""
        body, error = _json_object(call)
        if error is not None:
            return error
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
            return _body_errors([_detail("must be a LINE user id", "/userId")])
        return _Answer(200, {"replyToken": self.issue_reply_token(user_id)})


def _with_params(call: _Call, params: dict[str, str]) -> _Call:
    """Return the call with path parameters filled in."""
    return dataclasses.replace(call, params=params)


def _json_object(call: _Call) -> tuple[JsonObject, _Answer | None]:
    """Return the JSON object body, or an error answer when the body is not a JSON object."""
    if not call.json_ok:
        return {}, _body_errors([_detail("The request body is not valid JSON", "")])
    if not isinstance(call.json, dict):
        return {}, _body_errors([_detail("must be a JSON object", "")])
    return call.json, None


def _fault_answer(fault: _Fault) -> _Answer:
    """Build the answer for an injected fault."""
    message = _DEFAULT_ERROR_MESSAGES.get(fault.status, "Injected failure")
    return _Answer(fault.status, fault.body if fault.body is not None else {"message": message})


def _trim(remembered: collections.OrderedDict[str, Any]) -> None:
    """Drop the oldest entries beyond TOKEN_MEMORY_LIMIT."""
    while len(remembered) > TOKEN_MEMORY_LIMIT:
        remembered.popitem(last=False)


def _to_response(answer: _Answer, request_id: str) -> Response:
    """Turn an answer into a werkzeug Response carrying x-line-request-id."""
    if answer.data is not None:
        response = Response(answer.data, status=answer.status, content_type=answer.content_type)
    else:
        payload = json.dumps(answer.json if answer.json is not None else {}, ensure_ascii=False)
        response = Response(
            payload.encode("utf-8"), status=answer.status, content_type="application/json"
        )
    response.headers["x-line-request-id"] = request_id
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def main(argv: list[str] | None = None) -> None:
    """Serve a fake LINE platform until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--access-token", default=None, help="require this bearer token")
    parser.add_argument("--require-https", action="store_true", help="reject http media URLs")
    parser.add_argument(
        "--strict-reply-tokens", action="store_true", help="accept only issued reply tokens"
    )
    args = parser.parse_args(argv)
    fake = FakeLine(
        args.host,
        args.port,
        args.access_token,
        require_https=args.require_https,
        strict_reply_tokens=args.strict_reply_tokens,
    )
    with fake:
        print(f"Fake LINE platform on {fake.url} (inbox: {fake.url}/_sandbox/inbox); Ctrl-C stops")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
