"""Fixtures of the web tests."""

from __future__ import annotations

import pytest

from bot.imaging import card_cache
from bot.imaging.card_image import CardFace
from tests.support import events


@pytest.fixture
def rendered(monkeypatch):
    """Every card face drawn during the test (the real renderer still draws it): a cached or
    refused image must not get this far."""
    calls: list[CardFace] = []
    real = card_cache.render_card_png

    def counting(face: CardFace, program) -> bytes:
        calls.append(face)
        return real(face, program)

    monkeypatch.setattr(card_cache, "render_card_png", counting)
    return calls


@pytest.fixture
def welcome_card(services, post_webhook, run_jobs, fake_line):
    """A new friend follows at ``now``: the welcome card's image URL, the URL's expiry and the
    face it shows."""

    def follow(now: int) -> tuple[str, int, CardFace | None]:
        services.clock = lambda: now
        post_webhook(events.follow(events.user_id()))
        run_jobs()
        url = fake_line.replies()[0]["messages"][1]["contents"]["hero"]["url"]
        expiry, fields = services.card_urls.fields_from(url.rsplit("/", 1)[1][:-4], now)
        return url, expiry, CardFace.from_fields(fields)

    return follow
