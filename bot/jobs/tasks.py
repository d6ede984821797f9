"""RQ job functions. They run in the worker, inside the Flask app context (see worker.py)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from linebot.v3.messaging import ApiException, Message
from linebot.v3.webhooks import Event

from bot.handlers.router import dispatch
from bot.log import user_ref
from bot.messages.flex import ReceiptView, receipt_message
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


def send_receipt(member_id: str, receipt: dict, retry_key: str) -> None:
    """Push an electronic receipt; a 409 means LINE already accepted this retry key."""
    svc = services()
    member = svc.store.member(member_id)
    if member is None or not member.active:
        log.info("receipt not pushed: member gone or inactive")
        return
    view = ReceiptView(
        store_name=receipt["store_name"],
        occurred_at=datetime.fromisoformat(receipt["occurred_at"]).astimezone(
            svc.settings.program.timezone
        ),
        amount=receipt["amount"],
        points_earned=receipt["points_earned"],
        points_used=receipt["points_used"],
        balance=receipt["balance"],
    )
    message = receipt_message(member.language, svc.settings.program.card, view)
    try:
        svc.line.push(member.line_user_id, [Message.from_dict(message)], retry_key)
    except ApiException as exc:
        if exc.status == 409:
            log.info("receipt already delivered to %s", user_ref(member.line_user_id))
            return
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            log.error("receipt refused by LINE (status %s); not retried", exc.status)
            return
        raise  # 5xx, 429, timeouts: RQ retries with the same retry key
