"""``GET /healthz``: 200 when Redis answers, 503 otherwise."""

from __future__ import annotations

import redis
from flask import Blueprint, jsonify

from bot.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the bot can reach Redis."""
    try:
        services().store.redis.ping()
    except redis.RedisError:
        return jsonify(status="unavailable", redis="unreachable"), 503
    return jsonify(status="ok", redis="ok", sandbox=services().settings.sandbox)
