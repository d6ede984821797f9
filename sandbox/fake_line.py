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
import itertools
import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request

from sandbox.fake_base import (
    _CHAT_ID,
    _DEFAULT_ERROR_MESSAGES,
    _QUOTABLE_TYPES,
    _RETRY_KEY,
    _RETRY_KEY_PATHS,
    _USER_ID,
    AUTH_FAILED_MESSAGE,
    FAILED_TO_SEND_MESSAGE,
    HISTORY_LIMIT,
    INVALID_REPLY_TOKEN_MESSAGE,
    MAX_MULTICAST_RECIPIENTS,
    MAX_REQUEST_BYTES,
    MONTHLY_LIMIT_MESSAGE,
    RETRY_KEY_ACCEPTED_MESSAGE,
    RETRY_KEY_INVALID_MESSAGE,
    RETRY_KEY_TTL_SECONDS,
    RETRY_KEY_UNSUPPORTED_MESSAGE,
    SANDBOX_DISPLAY_NAME,
    SANDBOX_LANGUAGE,
    SANDBOX_PREFIX,
    SHUTDOWN_POLL_SECONDS,
    Handler,
    JsonObject,
    RecordedRequest,
    _AcceptedKey,
    _Answer,
    _body_errors,
    _Call,
    _Chaos,
    _detail,
    _error,
    _Fault,
    _fault_answer,
    _json_object,
    _MessageChecker,
    _now_iso,
    _path_matches,
    _QuietRequestHandler,
    _RichMenu,
    _to_response,
    _trim,
    _with_params,
)
from sandbox.fake_richmenus import RichMenuEndpoints
from sandbox.fake_sandbox import SandboxEndpoints

__all__ = ["FakeLine", "RecordedRequest"]


class FakeLine(RichMenuEndpoints, SandboxEndpoints):
    """An in-process HTTP server that behaves like the LINE Messaging API platform."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str | None = None,
        *,
        require_https: bool = False,
        strict_reply_tokens: bool = False,
        history: int = HISTORY_LIMIT,
    ) -> None:
        """Configure the fake; nothing listens until start(). It remembers the last
        ``history`` requests, replies and pushes."""
        self.history = history
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
                maxlen=self.history
            )
            self._inbox: collections.deque[JsonObject] = collections.deque(maxlen=self.history)
            self._replies: collections.deque[JsonObject] = collections.deque(maxlen=self.history)
            self._pushes: collections.deque[JsonObject] = collections.deque(maxlen=self.history)
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
            self._in_flight: collections.Counter[str] = collections.Counter()
            self._peak: collections.Counter[str] = collections.Counter()
            self._profiles: dict[str, JsonObject] = {}
            self._contents: dict[str, tuple[bytes, str]] = {}
            self._left: list[str] = []
            self._rich_menus: dict[str, _RichMenu] = {}
            self._default_rich_menu: str | None = None
            self._rich_menu_aliases: dict[str, str] = {}
            self._user_rich_menus: dict[str, str] = {}
            self._message_ids = itertools.count(600_000_000_000_000_001)
            #: The seq of the last message delivered (inbox entries count up from 1).
            self._inbox_last = 0

    # -- inspection ------------------------------------------------------------------------

    def recorded(self, path: str | None = None) -> list[RecordedRequest]:
        """Return recorded requests (the last 1000), optionally only those under `path`."""
        with self._lock:
            return [r for r in self._recorded if path is None or r.path.startswith(path)]

    def peak_in_flight(self, path: str) -> int:
        """The most requests to ``path`` that were open at once (since the last reset)."""
        with self._lock:
            return self._peak[path]

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

    def left_chats(self) -> list[str]:
        """The group and room ids the bot left, in order."""
        with self._lock:
            return list(self._left)

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
        streak: int = 0,
    ) -> None:
        """Fail a `rate` share of requests to path with one of `statuses`, chosen by a seeded RNG.

        With `streak`, a request with an ``X-Line-Retry-Key`` that failed that many times in a
        row is answered normally: a storm of errors, not an outage for one push.

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
                    _Chaos(
                        path, rate, tuple(statuses), accept_first, delay_rate, delay, rng, streak
                    )
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
        received_at = time.time()
        call = self._parse(request)
        chaos_delay, chaos_fault = self._roll_chaos(call.path, call.headers.get("x-line-retry-key"))
        delay = max(self._delay_for(call.path), chaos_delay)
        with self._lock:
            self._in_flight[call.path] += 1
            self._peak[call.path] = max(self._peak[call.path], self._in_flight[call.path])
        if delay:
            time.sleep(delay)
        with self._lock:
            self._in_flight[call.path] -= 1
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
                    received_at=received_at,
                    answered_at=time.time(),
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
            query=request.args.to_dict(),
        )

    def _delay_for(self, path: str) -> float:
        """Return the configured delay for a path, preferring the most specific match."""
        with self._lock:
            matches = [(len(p), s) for p, s in self._delays.items() if _path_matches(p, path)]
        return max(matches)[1] if matches else 0.0

    def _roll_chaos(self, path: str, retry_key: str | None) -> tuple[float, _Fault | None]:
        """Decide a request's random delay and failure (fail_randomly)."""
        with self._lock:
            for chaos in self._chaos:
                if not _path_matches(chaos.path, path):
                    continue
                roll = chaos.rng.random()
                spent = chaos.streak and retry_key and chaos.runs.get(retry_key, 0) >= chaos.streak
                if retry_key:
                    failing = roll < chaos.rate and not spent
                    chaos.runs[retry_key] = chaos.runs.get(retry_key, 0) + 1 if failing else 0
                if roll < chaos.rate and not spent:
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
            ("POST", "/v2/bot/group/{}/leave".format(segment.format("chat_id")), self._leave),
            ("POST", "/v2/bot/room/{}/leave".format(segment.format("chat_id")), self._leave),
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
            *self._sandbox_routes(segment),
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
                self._inbox_last += 1
                self._inbox.append(
                    {
                        "seq": self._inbox_last,
                        "to": recipient,
                        "via": via,
                        "at": at,
                        "message": message,
                    }
                )

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

    def _leave(self, call: _Call) -> _Answer:
        """POST /v2/bot/group/{groupId}/leave, /v2/bot/room/{roomId}/leave: 200 {}; a chat the
        bot is not in (left already, or never a group or room id) is 404."""
        chat_id = call.params["chat_id"]
        kind = "C" if "/group/" in call.path else "R"
        with self._lock:
            if not _CHAT_ID.fullmatch(chat_id) or chat_id[0] != kind or chat_id in self._left:
                return _error(404, "Not found")
            self._left.append(chat_id)
        return _Answer(200, {})

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
