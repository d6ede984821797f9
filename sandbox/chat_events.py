"""Webhook events as LINE sends them for what a sandbox user does, and their signature.

The sandbox CLI and the browser page both build their events here, so what a newcomer tries
goes through the bot exactly as a LINE user's taps would: the same fields, the same
``X-Line-Signature`` over the exact bytes sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

#: The bot's own user id as LINE names it in ``destination`` (any U + 32 hex digits).
DESTINATION = "U" + "0" * 32

Event = dict[str, Any]


def event(kind: str, user: str, *, reply: bool = True, **fields: Any) -> Event:
    """An event of ``kind`` from ``user``; ``reply`` adds a reply token placeholder that the
    sender swaps for one issued by the LINE stand-in."""
    built: Event = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01SANDBOX" + secrets.token_hex(8).upper(),
        "deliveryContext": {"isRedelivery": False},
        **fields,
    }
    if reply:
        built["replyToken"] = secrets.token_hex(16)
    return built


def follow(user: str, *, unblocked: bool = False) -> Event:
    """Adding the account as a friend, or unblocking it."""
    return event("follow", user, follow={"isUnblocked": unblocked})


def unfollow(user: str) -> Event:
    """Blocking the account (LINE gives no reply token for it)."""
    return event("unfollow", user, reply=False)


def postback(user: str, data: str, params: dict[str, str] | None = None) -> Event:
    """A tap on a button, quick reply or rich menu area that carries postback data."""
    content: dict[str, Any] = {"data": data}
    if params:
        content["params"] = params
    return event("postback", user, postback=content)


def text(user: str, body: str) -> Event:
    """A text message the user writes."""
    message = {
        "type": "text",
        "id": str(secrets.randbelow(10**18)),
        "text": body,
        "quoteToken": secrets.token_urlsafe(16),
    }
    return event("message", user, message=message)


def image(user: str, message_id: str) -> Event:
    """A photo the user sends; its bytes are at the LINE stand-in under ``message_id``."""
    message = {
        "type": "image",
        "id": message_id,
        "quoteToken": secrets.token_urlsafe(16),
        "contentProvider": {"type": "line"},
    }
    return event("message", user, message=message)


def signed_body(channel_secret: str, *events: Event) -> tuple[bytes, str]:
    """The webhook body for ``events`` and its ``X-Line-Signature``."""
    raw = json.dumps({"destination": DESTINATION, "events": list(events)}).encode()
    digest = hmac.new(channel_secret.encode(), raw, hashlib.sha256).digest()
    return raw, base64.b64encode(digest).decode()
