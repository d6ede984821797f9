"""Rendered card images in Redis, shared by every web worker and the worker process.

A cache, not a record: a Redis failure is a miss (or an image not stored), logged, never an
error, because whoever asks can draw the image itself.
"""

from __future__ import annotations

import logging

import redis

from bot.store import keys

log = logging.getLogger(__name__)


class ImageCache:
    """PNG bytes by image digest, each with its own TTL. The client must return bytes."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def get(self, digest: str) -> bytes | None:
        """The stored image, or None if it is not stored (or Redis cannot say)."""
        try:
            return self.redis.get(keys.card_image(digest))
        except redis.RedisError:
            log.warning("card image cache unavailable: the image is drawn instead")
            return None

    def has(self, digest: str) -> bool:
        """True if the image is stored; False if not (or Redis cannot say)."""
        try:
            return bool(self.redis.exists(keys.card_image(digest)))
        except redis.RedisError:
            log.warning("card image cache unavailable")
            return False

    def put(self, digest: str, png: bytes, ttl: int) -> None:
        """Store an image for ``ttl`` seconds, if Redis takes it."""
        try:
            self.redis.set(keys.card_image(digest), png, ex=ttl)
        except redis.RedisError:
            log.warning("card image not stored: Redis unavailable")
