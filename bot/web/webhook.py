"""``POST /callback``: verify the LINE signature, drop duplicates, queue events, answer at once."""

from __future__ import annotations

import json
import logging
import time

import redis
from flask import Blueprint, Response, request
from linebot.v3.webhook import SignatureValidator

from bot.jobs.queue import enqueue_event
from bot.services import services

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

#: How long an accepted webhookEventId is remembered, in seconds (redeliveries come later).
DEDUPE_TTL = 48 * 3600
#: Events older than this (seconds) are ignored: LINE signs no timestamp, so an old event is
#: either a replay of a captured request or one whose dedupe record has already expired.
MAX_EVENT_AGE = 24 * 3600


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
    except ValueError:
        return _plain(400, "body is not JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return _plain(400, "body has no events list")
    now_ms = time.time() * 1000
    for event in events:
        event_id = event.get("webhookEventId") if isinstance(event, dict) else None
        timestamp = event.get("timestamp") if isinstance(event, dict) else None
        if not isinstance(event_id, str) or not event_id or not isinstance(timestamp, int):
            log.warning("webhook event without webhookEventId or timestamp ignored")
            continue
        if now_ms - timestamp > MAX_EVENT_AGE * 1000:
            log.warning(
                "webhook event %s ignored: %d s old", event_id, (now_ms - timestamp) // 1000
            )
            continue
        try:
            if not svc.store.first_delivery(event_id, DEDUPE_TTL):
                log.info("duplicate webhook event %s ignored", event_id)
                continue
            try:
                enqueue_event(svc, json.dumps(event, ensure_ascii=False))
            except redis.RedisError:
                svc.store.forget_delivery(event_id)
                raise
        except redis.RedisError:
            # Fail closed: LINE redelivers on a non-2xx, and dedupe keeps that safe.
            log.exception("webhook event %s not queued: Redis unavailable", event_id)
            return _plain(503, "temporarily unavailable")
    return _plain(200, "OK")
