"""Card images drawn once per face and design, and served from a shared cache while their
URL lives.

The worker draws a card's image when it builds the card message (bot/handlers/card.py), so
LINE's fetch a moment later is served from Redis (bot/store/image_cache.py); a fetch that finds
nothing (an expired or evicted entry, a fetch before the worker stored it, Redis unreachable)
draws the image and stores it. Each entry is ~21 KB and lives as long as its URL, an hour at
most (a rotating card's URL lives one code window plus a minute: 6 minutes by default), so
the cache holds about 21 KB per card shown in the last window: 21 MB for 1,000 cards shown in
5 minutes. The key is ``image_digest``, which is also the ETag.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.program import Program
from bot.imaging.card_image import CardFace, image_digest, render_card_png

#: Longest an image is kept, in seconds. A static card's URL lives 7 days, but LINE fetches
#: the image when the message is shown, and browsers may keep it for an hour anyway.
MAX_CACHE_SECONDS = 3600


class ImageStore(Protocol):
    """Where drawn images are kept (bot/store/image_cache.py); failures are misses."""

    def get(self, digest: str) -> bytes | None: ...
    def has(self, digest: str) -> bool: ...
    def put(self, digest: str, png: bytes, ttl: int) -> None: ...


def card_png(face: CardFace, program: Program, cache: ImageStore, ttl: int) -> bytes:
    """The image's bytes from the cache, or drawn and stored for ``ttl`` seconds (capped)."""
    digest = image_digest(face, program)
    png = cache.get(digest)
    if png is None:
        png = render_card_png(face, program)
        _store(cache, digest, png, ttl)
    return png


def prepare_card_png(face: CardFace, program: Program, cache: ImageStore, ttl: int) -> None:
    """Draw and store the image unless it is stored already (a card built twice in one step)."""
    digest = image_digest(face, program)
    if not cache.has(digest):
        _store(cache, digest, render_card_png(face, program), ttl)


def _store(cache: ImageStore, digest: str, png: bytes, ttl: int) -> None:
    ttl = min(ttl, MAX_CACHE_SECONDS)
    if ttl > 0:
        cache.put(digest, png, ttl)
