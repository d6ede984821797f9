"""Card and ticket images at signed, expiring URLs under PUBLIC_BASE_URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from bot.imaging.card_cache import MAX_CACHE_SECONDS, card_png
from bot.imaging.card_image import CardFace, image_digest
from bot.imaging.ticket_image import TicketFace, TicketRef, render_ticket_png
from bot.imaging.ticket_image import image_digest as ticket_digest
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


@bp.get("/media/ticket/<token>.png")
def ticket_image(token: str) -> Response:
    """The reward ticket image a signed token names; 404 for a tampered or expired token, or a
    ticket that is gone.

    The token names the ticket, not its code (a bearer secret until it is used: the URL may
    be logged on the way), so the code is read from Redis; only the shopper's own device may
    keep the image (``private``), for an hour at most."""
    svc = services()
    now = svc.clock()
    signed = svc.ticket_urls.fields_from(token, now)
    ref = TicketRef.from_fields(signed[1]) if signed else None
    ticket = svc.tickets.ticket(ref.member_id, ref.number) if signed and ref else None
    if signed is None or ref is None or ticket is None:
        abort(404)
    face = TicketFace(ticket.code, ticket.reward, ref.language, ticket.expires_at)
    program = svc.settings.program
    etag = ticket_digest(face, program)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        png = svc.card_images.get(etag)
        if png is None:
            png = render_ticket_png(face, program)
            ttl = min(signed[0] - now, MAX_CACHE_SECONDS)
            if ttl > 0:
                svc.card_images.put(etag, png, ttl)
        response = Response(png, mimetype="image/png")
    response.set_etag(etag)
    max_age = max(0, min(CACHE_SECONDS, signed[0] - now))
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response


@bp.get("/media/reward/<key>")
def reward_image(key: str) -> Response:
    """A reward's image from the program file's folder; 404 for a reward without one."""
    reward = services().settings.program.reward(key)
    if reward is None or reward.image is None:
        abort(404)
    try:
        data = reward.image.read_bytes()
    except OSError:
        abort(404)
    mimetype = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
