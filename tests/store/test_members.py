"""Member registration and the Redis side of card codes: handles, secrets, first use."""

from __future__ import annotations

import threading

import pytest

from bot.domain.cards import is_valid_member_number
from bot.store import keys
from bot.store.redis_store import LoyaltyStore, connect
from tests.support.events import user_id


@pytest.fixture
def store(redis_server, redis_client) -> LoyaltyStore:
    return LoyaltyStore(connect(redis_server.url))


def test_registration_gives_a_number_with_the_prefix_and_indexed_code_material(store):
    member, created = store.register_member(user_id(), "Hanako", "ja", prefix="24")
    assert created
    assert member.number.startswith("24")
    assert is_valid_member_number(member.number)
    assert store.member_id_by_number(member.number) == member.member_id
    credentials = store.code_credentials(member.member_id)
    assert credentials is not None
    assert credentials.counter == 0
    assert len(credentials.secret) == 32
    assert store.member_id_by_handle(credentials.handle) == member.member_id


def test_registering_again_keeps_number_handle_and_secret_and_refreshes_the_profile(store):
    user = user_id()
    first, _ = store.register_member(user, "Hanako", "ja")
    before = store.code_credentials(first.member_id)
    store.deactivate(user)
    again, created = store.register_member(user, "Hanako Y.", "en", prefix="21")
    assert not created
    assert (again.number, again.display_name, again.language, again.active) == (
        first.number,
        "Hanako Y.",
        "en",
        True,
    )
    assert store.code_credentials(first.member_id) == before


def test_concurrent_first_registrations_leave_one_number_and_one_handle(store, redis_client):
    user = user_id()
    threads = [
        threading.Thread(target=store.register_member, args=(user, "x", "ja")) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    member = store.member_for_user(user)
    assert redis_client.keys(keys.card_number("*")) == [keys.card_number(member.number)]
    handle = store.code_credentials(member.member_id).handle
    assert redis_client.keys(keys.card_handle("*")) == [keys.card_handle(handle)]


def test_unknown_members_have_no_code_material(store, redis_client):
    assert store.code_credentials("nobody") is None
    assert redis_client.keys("*") == []


def test_a_code_is_claimed_once_and_its_use_bumps_the_counter(store):
    member, _ = store.register_member(user_id(), "x", "ja")
    assert store.claim_code(member.member_id, 7, 0, "S1 T1 f", 600) == "S1 T1 f"
    assert store.claim_code(member.member_id, 7, 0, "S1 T1 f", 600) == "S1 T1 f"  # a retry
    assert store.claim_code(member.member_id, 7, 0, "S2 T9 g", 600) == "S1 T1 f"
    assert store.code_credentials(member.member_id).counter == 1
    store.release_code(member.member_id, 7, 0, "S2 T9 g")  # not the holder: nothing happens
    assert store.claim_code(member.member_id, 7, 0, "S2 T9 g", 600) == "S1 T1 f"
    store.release_code(member.member_id, 7, 0, "S1 T1 f")
    assert store.claim_code(member.member_id, 7, 0, "S2 T9 g", 600) == "S2 T9 g"


def test_use_records_expire_with_their_code(store, redis_client):
    member, _ = store.register_member(user_id(), "x", "ja")
    store.claim_code(member.member_id, 7, 0, "S1 T1 f", 420)
    assert 0 < redis_client.ttl(keys.code_use(member.member_id, 7, 0)) <= 420
