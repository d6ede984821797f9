"""``POST /callback``: verify the LINE signature, queue the events, answer at once.

One Redis round trip per body however many events it holds: the events go on the queue in one
transaction, and duplicates (redeliveries) are dropped where the events are handled
(bot/jobs/tasks.py, bot/store/events.py), so a lost answer or a redelivery costs nothing twice.
"""

from __future__ import annotations

import json
import logging
import re
import time

import redis
from flask import Blueprint, Response, request
from linebot.v3.webhook import SignatureValidator

from bot.jobs.queue import enqueue_events
from bot.services import services

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

#: Events older than this (seconds) are ignored: LINE signs no timestamp, so an old event is
#: either a replay of a captured request or one whose dedupe record may have expired.
MAX_EVENT_AGE = 24 * 3600
#: Events stamped further ahead than this (seconds) are ignored: no clock is that far off,
#: and one accepted would be processed again once its dedupe record lapsed.
MAX_EVENT_AHEAD = 5 * 60
#: webhookEventId is a ULID; anything else is not from LINE and is not worth a key or a log line.
_EVENT_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")


def _plain(status: int, body: str) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.post("/callback")
def callback() -> Response:
    """Accept a webhook: 400 unsigned or malformed, 503 if events cannot be queued, else 200."""
    svc = services()
    signature = request.headers.get("X-Line-Signature", "")
    body = request.get_data(as_text=True)
    if not signature or not SignatureValidator(svc.settings.channel_secret).validate(
        body, signature
    ):
        log.warning("webhook refused: missing or invalid signature")
        return _plain(400, "invalid signature")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _plain(400, "body is not JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return _plain(400, "body has no events list")
    now_ms = time.time() * 1000
    accepted = [event for event in events if _acceptable_id(event, now_ms) is not None]
    if accepted:
        try:
            enqueue_events(svc, accepted)
        except redis.RedisError:
            # Fail closed: LINE redelivers on a non-2xx, and dedupe keeps that safe.
            log.exception("%d webhook event(s) not queued: Redis unavailable", len(accepted))
            return _plain(503, "temporarily unavailable")
    return _plain(200, "OK")


def _acceptable_id(event: object, now_ms: float) -> str | None:
    """The event's id if it should be queued; None (logged) for malformed or stale events."""
    if not isinstance(event, dict):
        log.warning("webhook event that is not an object ignored")
        return None
    event_id, timestamp = event.get("webhookEventId"), event.get("timestamp")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        log.warning("webhook event without a valid webhookEventId ignored")
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        log.warning("webhook event %s without a timestamp ignored", event_id)
        return None
    if now_ms - timestamp > MAX_EVENT_AGE * 1000:
        log.warning("webhook event %s ignored: %d s old", event_id, (now_ms - timestamp) // 1000)
        return None
    if timestamp - now_ms > MAX_EVENT_AHEAD * 1000:
        log.warning("webhook event %s ignored: stamped %d s ahead", event_id,
                    (timestamp - now_ms) // 1000)  # fmt: skip
        return None
    if not isinstance(event.get("type"), str):
        log.warning("webhook event %s without a type ignored", event_id)
        return None
    source = event.get("source")
    if (
        isinstance(source, dict)
        and source.get("type") == "user"
        and not isinstance(source.get("userId"), str)
    ):
        log.warning("webhook event %s from a user without a userId ignored", event_id)
        return None
    return event_id
