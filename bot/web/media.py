"""Card images at signed, expiring URLs under PUBLIC_BASE_URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from bot.imaging.card_cache import card_png
from bot.imaging.card_image import CardFace, image_digest
from bot.services import services

bp = Blueprint("media", __name__)

#: Longest time a static card image may be kept by browsers and LINE's image proxy (seconds).
CACHE_SECONDS = 3600


@bp.get("/media/card/<token>.png")
def card_image(token: str) -> Response:
    """The card image a signed token describes; 404 for a tampered or expired token.

    Everything is checked before anything is read or drawn. The ETag is the digest of the
    face and the design, so a matching ``If-None-Match`` is a 304 without touching Redis. A
    rotating code's image may be kept only by the shopper's own device (``private``) and only
    until the code expires."""
    svc = services()
    now = svc.clock()
    signed = svc.card_urls.fields_from(token, now)
    face = CardFace.from_fields(signed[1]) if signed else None
    if signed is None or face is None:
        abort(404)
    program = svc.settings.program
    etag = image_digest(face, program)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        png = card_png(face, program, svc.card_images, signed[0] - now)
        response = Response(png, mimetype="image/png")
    response.set_etag(etag)
    if face.mode == "rotating":
        max_age = max(0, face.valid_until - now)
        response.headers["Cache-Control"] = f"private, max-age={max_age}"
    else:
        max_age = min(CACHE_SECONDS, signed[0] - now)
        response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
    return response
