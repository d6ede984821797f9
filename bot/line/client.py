"""A thin wrapper over line-bot-sdk v3, built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    Message,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ValidateMessageRequest,
)

from bot.log import user_ref

log = logging.getLogger(__name__)

#: (connect, read) timeout for every LINE call, in seconds: the SDK has no default.
REQUEST_TIMEOUT = (3.05, 10.0)
#: Longest read timeout of a push, in seconds. A push that times out is sent again with its
#: retry key (LINE answers 409 if it took the first), so waiting long gains nothing and
#: holds a worker thread: LINE answers pushes in well under a second.
PUSH_READ_TIMEOUT = 5.0
#: (connect, read) timeout for downloading what a user sent (a staff member's photo of a card,
#: a few MB at most), in seconds.
CONTENT_TIMEOUT = (3.05, 15.0)


@dataclass(frozen=True)
class Profile:
    """The parts of a LINE profile the bot keeps."""

    display_name: str
    language: str | None


class LineClient:
    """Replies, pushes, profiles and message content through the SDK, logging failures
    without PII."""

    def __init__(
        self,
        access_token: str,
        base_url: str | None = None,
        timeout: tuple[float, float] = REQUEST_TIMEOUT,
        content_timeout: tuple[float, float] = CONTENT_TIMEOUT,
        connections: int | None = None,
    ) -> None:
        # A host overrides both api.line.me and api-data.line.me (the SDK then uses one host).
        configuration = Configuration(access_token=access_token, host=base_url)
        if connections is not None:
            # Kept-alive connections: one per thread that calls LINE at once (WORKER_THREADS).
            configuration.connection_pool_maxsize = connections
        self.timeout = timeout
        self.push_timeout = (timeout[0], min(timeout[1], PUSH_READ_TIMEOUT))
        self.content_timeout = content_timeout
        self._api_client = ApiClient(configuration)
        self.api = MessagingApi(self._api_client)
        self._blob = MessagingApiBlob(self._api_client)
        self._basic_id: str | None = None

    def close(self) -> None:
        """Release pooled connections."""
        self._api_client.close()

    def reply(self, reply_token: str, messages: list[Message]) -> None:
        """Reply to an event; raises ``ApiException`` on an error answer."""
        request = ReplyMessageRequest(replyToken=reply_token, messages=messages)
        try:
            self.api.reply_message(request, _request_timeout=self.timeout)
        except ApiException as exc:
            _log_api_error("reply", exc)
            raise

    def push(
        self, to: str, messages: list[Message], retry_key: str, unit: str | None = None
    ) -> None:
        """Push to a user with an ``X-Line-Retry-Key``; raises ``ApiException`` on errors.
        ``unit``: the custom aggregation unit LINE's statistics count it under."""
        request = PushMessageRequest(
            to=to, messages=messages, customAggregationUnits=[unit] if unit else None
        )
        try:
            self.api.push_message(
                request, x_line_retry_key=retry_key, _request_timeout=self.push_timeout
            )
        except ApiException as exc:
            if exc.status != 409:  # 409: this retry key was already accepted; callers decide.
                _log_api_error("push", exc, to)
            raise

    def leave(self, kind: str, chat_id: str) -> None:
        """Leave a group (``kind`` "group") or a room ("room"); one the bot is no longer in
        (404) counts as left. Raises ``ApiException`` on other error answers."""
        call = self.api.leave_group if kind == "group" else self.api.leave_room
        try:
            call(chat_id, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status == 404:
                return
            _log_api_error(f"leave {kind}", exc)
            raise

    def multicast(
        self, to: list[str], messages: list[Message], retry_key: str, unit: str | None = None
    ) -> None:
        """Send to up to 500 users with an ``X-Line-Retry-Key``; raises ``ApiException``.
        ``unit``: the custom aggregation unit LINE's statistics count it under."""
        request = MulticastRequest(
            to=to, messages=messages, customAggregationUnits=[unit] if unit else None
        )
        try:
            self.api.multicast(
                request, x_line_retry_key=retry_key, _request_timeout=self.push_timeout
            )
        except ApiException as exc:
            if exc.status != 409:
                _log_api_error("multicast", exc)
            raise

    def validate_multicast(self, messages: list[Message]) -> None:
        """Have LINE check messages as it would for a multicast; ``ApiException`` if not."""
        try:
            self.api.validate_multicast(
                ValidateMessageRequest(messages=messages), _request_timeout=self.timeout
            )
        except ApiException as exc:
            _log_api_error("validate", exc)
            raise

    def quota_left(self) -> tuple[int | None, int]:
        """This month's message limit (None: no limit) and how much of it is used."""
        try:
            quota = self.api.get_message_quota(_request_timeout=self.timeout)
            used = self.api.get_message_quota_consumption(_request_timeout=self.timeout)
        except ApiException as exc:
            _log_api_error("quota", exc)
            raise
        limit = quota.value if getattr(quota.type, "value", quota.type) == "limited" else None
        return limit, int(used.total_usage)

    def profile(self, user_id: str) -> Profile | None:
        """The user's profile, or None when LINE will not give it (blocked, not a friend)."""
        try:
            found = self.api.get_profile(user_id, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status == 404:
                return None
            _log_api_error("profile", exc, user_id)
            raise
        return Profile(display_name=found.display_name, language=found.language)

    def basic_id(self) -> str:
        """The bot's basic ID (``@abc1234``), from LINE's bot info once per process; raises
        ``ApiException`` on an error answer."""
        if self._basic_id is None:
            try:
                info = self.api.get_bot_info(_request_timeout=self.timeout)
            except ApiException as exc:
                _log_api_error("bot info", exc)
                raise
            self._basic_id = info.basic_id
        return self._basic_id

    def content(self, message_id: str) -> bytes:
        """What a user sent in message ``message_id`` (an image's bytes); raises
        ``ApiException`` on an error answer (404 once LINE no longer keeps it)."""
        try:
            found = self._blob.get_message_content(
                message_id, _request_timeout=self.content_timeout
            )
        except ApiException as exc:
            _log_api_error("content", exc)
            raise
        return bytes(found)


def _log_api_error(call: str, exc: ApiException, user_id: str | None = None) -> None:
    headers = exc.headers or {}
    log.warning(
        "LINE %s failed: status=%s request_id=%s user=%s",
        call,
        exc.status,
        headers.get("x-line-request-id"),
        user_ref(user_id) if user_id else "-",
    )
