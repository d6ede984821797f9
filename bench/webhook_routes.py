"""Baselines of the webhook benchmark, registered by bench/bench_app.py."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from linebot.v3.webhook import SignatureValidator

from bot.services import services

bp = Blueprint("bench_webhook", __name__)


def _signed_body() -> str | None:
    body = request.get_data(as_text=True)
    given = request.headers.get("X-Line-Signature", "")
    if not given or not SignatureValidator(services().settings.channel_secret).validate(
        body, given
    ):
        return None
    return body


@bp.post("/bench/signature")
def signature() -> Response:
    """Check the LINE signature over the raw body and answer 200: the floor of ``/callback``."""
    if _signed_body() is None:
        return Response("invalid signature", status=400, mimetype="text/plain")
    return Response("OK", mimetype="text/plain")


@bp.post("/bench/durable")
def durable() -> Response:
    """The signature check, the JSON parse and one Redis write (``RPUSH`` of the body) before
    the 200: the least any acknowledgement that is on disk first can cost."""
    body = _signed_body()
    if body is None:
        return Response("invalid signature", status=400, mimetype="text/plain")
    json.loads(body)
    services().webhook_redis.rpush("bench:durable", body)
    return Response("OK", mimetype="text/plain")
