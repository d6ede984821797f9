"""The per-process services (Redis, LINE, queue, URL signer) that handlers and views share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.config import Settings
from bot.line.client import LineClient
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect

#: How long a card image URL stays valid, in seconds. LINE fetches images when a message is
#: shown, so an old card message shows a broken image afterwards; the shopper taps "refresh".
CARD_URL_TTL = 7 * 24 * 3600


class CardUrls:
    """Signed, expiring, unguessable URLs of card images."""

    def __init__(self, secret_key: str, public_base_url: str) -> None:
        self._signer = URLSafeTimedSerializer(secret_key, salt="card-image")
        self._base = public_base_url

    def url_for(self, number: str) -> str:
        """The public URL of the card image for a member number."""
        return f"{self._base}/media/card/{self._signer.dumps(number)}.png"

    def number_from(self, token: str, max_age: int = CARD_URL_TTL) -> str | None:
        """The member number a token was signed for, or None if tampered or expired."""
        try:
            number = self._signer.loads(token, max_age=max_age)
        except (BadSignature, SignatureExpired):
            return None
        return number if isinstance(number, str) else None


@dataclass
class Services:
    """Everything built once per process from the settings."""

    settings: Settings
    store: LoyaltyStore
    ledger: Ledger
    line: LineClient
    card_urls: CardUrls
    #: RQ needs a client that returns bytes; the store uses one that returns str.
    queue_redis: redis.Redis
    #: The current unix time in seconds; tests replace it to move through expiry.
    clock: Callable[[], int] = field(default=lambda: int(time.time()))

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Create the clients; nothing connects until first use."""
        client = connect(settings.redis_url)
        return cls(
            settings=settings,
            store=LoyaltyStore(client),
            ledger=Ledger(client, settings.program),
            line=LineClient(settings.channel_access_token, settings.line_api_base_url),
            card_urls=CardUrls(settings.secret_key, settings.public_base_url),
            queue_redis=redis.Redis.from_url(settings.redis_url, socket_timeout=5),
        )


def services() -> Services:
    """The services of the current Flask app."""
    return current_app.extensions["loyalty"]
