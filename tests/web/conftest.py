"""Fixtures of the web tests."""

from __future__ import annotations

import pytest

from bot.imaging import card_cache
from bot.imaging.card_image import CardFace


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
