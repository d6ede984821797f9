"""RQ job functions. They run in the worker, inside the Flask app context (see worker.py)."""

from __future__ import annotations

import json
import logging

from linebot.v3.messaging import ApiException, Message
from linebot.v3.webhooks import Event
from rq import Retry

from bot.handlers.router import dispatch
from bot.jobs.push import deliver
from bot.services import services

log = logging.getLogger(__name__)


def handle_event(event_json: str) -> None:
    """Route one webhook event and reply with what its handler returns."""
    svc = services()
    try:
        event = Event.from_dict(json.loads(event_json))
    except ValueError:
        # Unknown event types or malformed known ones: LINE may add types at any time.
        log.info("ignored an event the SDK does not model")
        return
    messages = dispatch(svc, event)
    token = getattr(event, "reply_token", None)
    if not messages or not token:
        return
    try:
        svc.line.reply(token, [Message.from_dict(m) for m in messages[:5]])
    except ApiException as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            # Expired or used token, or a message LINE refused: retrying cannot help.
            return
        raise


def send_receipt(member_id: str, receipt: dict, retry_key: str) -> Retry | None:
    """Jobs queued before pushes had one path: run them on it (see bot/jobs/push.py)."""
    return deliver("receipt", member_id, receipt, retry_key, urgent=True)
