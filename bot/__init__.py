"""LINE membership card and loyalty points bot: the Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from bot.config import Settings, SettingsError
from bot.log import configure_logging
from bot.services import Services
from bot.store.clients import UNAVAILABLE
from bot.store.redis_store import UnsafeRedisError, check_copy_finished, check_eviction_policy

log = logging.getLogger(__name__)

#: Largest request body accepted, in bytes (webhooks and POS requests are far smaller).
MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; settings come from the environment unless ``test_config`` has SETTINGS."""
    configure_logging()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    # JSON answers as UTF-8 text: Japanese in a problem's detail reads as Japanese, not \uXXXX.
    app.json.ensure_ascii = False
    app.config.from_mapping(test_config or {})
    settings = app.config.get("SETTINGS") or Settings.from_env()
    svc = Services.build(settings)
    try:
        check_eviction_policy(svc.store.redis)
    except UnsafeRedisError as exc:
        raise SettingsError([f"REDIS_URL: {exc}"]) from None
    except UNAVAILABLE:
        # Start anyway: /healthz reports it and requests fail closed until Redis is back.
        log.warning("Redis is not reachable yet; requests needing it will answer 503")
    if settings.redis_cluster:
        try:
            check_copy_finished(svc.store.redis)
        except UnsafeRedisError as exc:
            raise SettingsError([f"REDIS_URL: {exc}"]) from None
        except UNAVAILABLE:  # the platform starts the process again until the node answers
            raise SettingsError(
                ["REDIS_URL: the cluster node holding the copy's marker does not answer yet"]
            ) from None
    app.extensions["loyalty"] = svc
    if settings.sandbox:
        log.warning(
            "SANDBOX MODE: no LINE credentials; LINE calls go to %s", settings.line_api_base_url
        )

    from bot import cli
    from bot.web import checkin, health, media, openapi, pos_api, problems, webhook

    for blueprint in (webhook.bp, pos_api.bp, openapi.bp, media.bp, health.bp, checkin.bp):
        app.register_blueprint(blueprint)
    problems.init_app(app)
    cli.init_app(app)
    return app
