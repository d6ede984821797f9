"""Decoding card barcodes from photograph-like images, and refusing junk safely."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image

from bot.imaging.scanning import decode_card_codes
from tests.conftest import make_settings
from tests.support import events
from tests.support.photos import VARIANTS
from tests.support.programs import static_program

#: Overall share of photo variants that must decode to the right code.
MIN_DECODE_RATE = 0.9


def _png(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format=fmt)
    return out.getvalue()


#: Fixed member numbers, code handles and secrets and a fixed clock keep the test deterministic
#: (bar patterns differ in how they degrade).
NUMBERS = ["2900000000001", "2912345678906", "2987654321003", "2955555555551", "2901020304056",
           "2999999999991", "2913579246800", "2924681357902"]  # fmt: skip
HANDLES = ["10000001", "23456789", "98765432", "55555555", "10203040", "99999999", "13579246",
           "24681357"]  # fmt: skip
NOW = 1_795_000_000


@pytest.fixture(params=["rotating", "static"])
def settings(request, redis_server, fake_line, redis_client, tmp_path):
    """Cards of both code modes: Code 128 + QR, and EAN-13."""
    if request.param == "rotating":
        return make_settings(redis_server.url, fake_line.url)
    program = static_program(tmp_path)
    return make_settings(redis_server.url, fake_line.url, LOYALTY_PROGRAM=str(program))


def test_photo_variants_decode_to_the_card_code(
    post_webhook, run_jobs, fake_line, client, services, monkeypatch
):
    numbers, handles = iter(NUMBERS), iter(HANDLES)
    monkeypatch.setattr(
        "bot.store.redis_store.new_member_number", lambda *args, **kwargs: next(numbers)
    )
    monkeypatch.setattr("bot.store.redis_store.new_handle", lambda: next(handles))
    monkeypatch.setattr("bot.store.redis_store.new_secret", lambda: "fixed-secret")
    services.clock = lambda: NOW
    cards = []
    for _ in NUMBERS:
        user = events.user_id()
        post_webhook(events.follow(user))
        run_jobs()
        url = fake_line.replies()[-1]["messages"][1]["contents"]["hero"]["url"]
        image = Image.open(io.BytesIO(client.get(urlsplit(url).path).data)).convert("RGB")
        member = services.store.member_for_user(user)
        cards.append((services.card_codes.current(member, NOW).value, image))
    rates = {}
    for name, variant in VARIANTS.items():
        hits = sum(
            decode_card_codes(_png(variant(image), "JPEG"))[:1] == [code] for code, image in cards
        )
        rates[name] = hits / len(cards)
    usual = [rate for name, rate in rates.items() if not name.startswith("harsh")]
    overall = sum(usual) / len(usual)
    print("\ndecode rate by photo variant (harsh ones are reported, not required):")
    for name, rate in rates.items():
        print(f"  {name:42} {rate:5.0%}")
    print(f"  {'overall, usual variants':42} {overall:5.0%}")
    assert overall >= MIN_DECODE_RATE, rates


def test_junk_images_decode_to_nothing():
    assert decode_card_codes(b"") == []
    assert decode_card_codes(b"GIF89a not really") == []
    assert decode_card_codes(_png(Image.new("RGB", (300, 200), "white"))) == []
