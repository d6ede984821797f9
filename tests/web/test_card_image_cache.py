"""Card images are drawn once per face and design, kept in Redis while their URL lives, and
answered 304 when the client already has them."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain.cards import new_member_number
from bot.imaging.card_cache import MAX_CACHE_SECONDS, prepare_card_png
from bot.imaging.card_image import CardFace, image_digest
from bot.store import keys
from tests.conftest import PUBLIC_BASE_URL
from tests.support.redis_monitor import commands_during

NOW = 1_795_000_000


def _rotating() -> CardFace:
    return CardFace("rotating", "1234567890123456", new_member_number(), "gold", "ja", NOW + 300)


def _static() -> CardFace:
    number = new_member_number()
    return CardFace("static", number, number, "gold", "en")


def _path(services, face: CardFace, expires_at: int) -> str:
    return services.card_urls.url_for(face.fields(), expires_at).removeprefix(PUBLIC_BASE_URL)


def test_a_matching_if_none_match_is_a_304_without_reading_or_drawing(
    client, services, rendered, redis_server
):
    services.clock = lambda: NOW
    path = _path(services, _rotating(), NOW + 360)
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200
    assert etag.startswith('"')
    with commands_during(redis_server.url) as commands:
        again = client.get(path, headers={"If-None-Match": etag})
        star = client.get(path, headers={"If-None-Match": "*"})
    assert (again.status_code, star.status_code) == (304, 304)
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, max-age=300"
    assert commands == []
    assert len(rendered) == 1
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_card_built_by_the_worker_is_served_from_redis_without_drawing_again(
    welcome_card, client, services, rendered
):
    url, _, face = welcome_card(NOW)
    assert rendered == [face]
    digest = image_digest(face, services.settings.program)
    stored = services.card_images.get(digest)
    assert stored is not None
    response = client.get(url.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 200
    assert response.data == stored
    assert response.headers["ETag"] == f'"{digest}"'
    assert rendered == [face]


def test_an_image_not_stored_is_drawn_stored_and_then_served_from_redis(
    client, services, rendered, redis_client
):
    services.clock = lambda: NOW
    face = _rotating()
    path = _path(services, face, NOW + 360)
    first = client.get(path)
    assert rendered == [face]
    key = keys.card_image(image_digest(face, services.settings.program))
    assert 350 < redis_client.ttl(key) <= 360  # as long as the URL is valid
    second = client.get(path)
    assert second.data == first.data
    assert rendered == [face]
    redis_client.delete(key)  # expired or evicted: drawn again, the same image
    assert client.get(path).data == first.data
    assert rendered == [face, face]


def test_a_static_image_is_kept_an_hour_at_most(client, services, redis_client):
    services.clock = lambda: NOW
    face = _static()
    assert client.get(_path(services, face, NOW + 7 * 86400)).status_code == 200
    key = keys.card_image(image_digest(face, services.settings.program))
    assert MAX_CACHE_SECONDS - 10 < redis_client.ttl(key) <= MAX_CACHE_SECONDS


def test_building_the_same_card_twice_draws_it_once(services, rendered):
    face = _rotating()
    program = services.settings.program
    prepare_card_png(face, program, services.card_images, 360)
    prepare_card_png(face, program, services.card_images, 360)
    assert rendered == [face]


@pytest.mark.parametrize(
    "change",
    [
        lambda p: dataclasses.replace(p, card=dataclasses.replace(p.card, background="#123456")),
        lambda p: dataclasses.replace(p, card=dataclasses.replace(p.card, logo=None)),
        lambda p: dataclasses.replace(
            p,
            ranks=dataclasses.replace(
                p.ranks,
                tiers=tuple(dataclasses.replace(t, color="#010203") for t in p.ranks.tiers),
            ),
        ),
    ],
    ids=["colour", "logo", "rank-colour"],
)
def test_a_design_change_changes_the_etag(services, change):
    face = _rotating()
    program = services.settings.program
    assert image_digest(face, change(program)) != image_digest(face, program)
    assert image_digest(face, dataclasses.replace(program)) == image_digest(face, program)
