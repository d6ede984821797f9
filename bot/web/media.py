"""Card images at signed, expiring URLs under PUBLIC_BASE_URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from bot.domain.cards import is_valid_member_number
from bot.messages.barcode_image import render_card_png
from bot.services import services

bp = Blueprint("media", __name__)

#: Browsers and LINE's image proxy may keep a card image this long (seconds).
CACHE_SECONDS = 3600


@bp.get("/media/card/<token>.png")
def card_image(token: str) -> Response:
    """The barcode image for a signed token; 404 for a tampered or expired one."""
    number = services().card_urls.number_from(token)
    if number is None or not is_valid_member_number(number):
        abort(404)
    png = render_card_png(number, services().settings.program.card.accent)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}, immutable"
    return response
