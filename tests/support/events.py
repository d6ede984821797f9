"""Builders of schema-valid LINE webhook bodies, and their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

DESTINATION = "U" + "0" * 32


def user_id() -> str:
    """A fresh LINE-style user id."""
    return "U" + secrets.token_hex(16)


def _event(kind: str, user: str, *, reply: bool = True, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01" + secrets.token_hex(12).upper(),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply:
        event["replyToken"] = secrets.token_hex(16)
    event.update(fields)
    return event


def follow(user: str, *, unblocked: bool = False) -> dict[str, Any]:
    """A follow event (new friend, or ``unblocked``)."""
    return _event("follow", user, follow={"isUnblocked": unblocked})


def unfollow(user: str) -> dict[str, Any]:
    """An unfollow (block) event."""
    return _event("unfollow", user, reply=False)


def postback(user: str, data: str) -> dict[str, Any]:
    """A postback event, as from a rich menu or button tap."""
    return _event("postback", user, postback={"data": data})


def text(user: str, body: str) -> dict[str, Any]:
    """A text message event."""
    message = {"type": "text", "id": str(secrets.randbelow(10**18)), "text": body}
    message["quoteToken"] = secrets.token_urlsafe(16)
    return _event("message", user, message=message)


def join(chat_id: str) -> dict[str, Any]:
    """The bot was added to a group (``C...``) or a room (``R...``)."""
    event = _event("join", "U" + "0" * 32)
    kind = "group" if chat_id.startswith("C") else "room"
    event["source"] = {"type": kind, f"{kind}Id": chat_id}
    return event


def redelivered(event: dict[str, Any]) -> dict[str, Any]:
    """The same event as LINE redelivers it."""
    return {**event, "deliveryContext": {"isRedelivery": True}}


def body(*events: dict[str, Any]) -> bytes:
    """A webhook request body."""
    return json.dumps({"destination": DESTINATION, "events": list(events)}).encode()


def sign(raw: bytes, channel_secret: str) -> str:
    """The X-Line-Signature of a body."""
    digest = hmac.new(channel_secret.encode(), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def beacon(user: str, hwid: str, kind: str = "enter") -> dict[str, Any]:
    """A LINE Beacon event: the user came near (``enter``) the beacon ``hwid``."""
    return _event("beacon", user, beacon={"hwid": hwid, "type": kind})
