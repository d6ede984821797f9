"""``GET /healthz``: 200 when Redis answers, 503 otherwise; also LINE's monthly-limit state."""

from __future__ import annotations

from datetime import datetime

import redis
from flask import Blueprint, jsonify

from bot.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the bot can reach Redis, and whether LINE still takes pushes this month."""
    svc = services()
    try:
        svc.store.redis.ping()
        since = svc.quota.reached_since()
    except redis.RedisError:
        return jsonify(status="unavailable", redis="unreachable"), 503
    quota = {"line_quota": "ok"}
    if since is not None:
        # Replies are free and unaffected; pushes wait until the month ends or it is cleared.
        moment = datetime.fromtimestamp(since, svc.settings.program.timezone)
        quota = {"line_quota": "monthly_limit_reached", "line_quota_since": moment.isoformat()}
    return jsonify(status="ok", redis="ok", sandbox=svc.settings.sandbox, **quota)
