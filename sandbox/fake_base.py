"""What the LINE stand-in's parts share: limits, error texts, request and answer records,
and the checks of message bodies that LINE's servers make."""

from __future__ import annotations

import collections
import dataclasses
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

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
    #: When the request arrived and when it was answered (unix seconds).
    received_at: float = 0.0
    answered_at: float = 0.0


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
    #: The query string's parameters (last value of each).
    query: dict[str, str] = field(default_factory=dict)

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
    #: At most this many failures in a row for one retry key (0: no limit).
    streak: int = 0
    #: Failures in a row so far, by retry key.
    runs: dict[str, int] = field(default_factory=dict)


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
