"""Member registration and the Redis side of card codes: handles, secrets, first use."""

from __future__ import annotations

import threading

import pytest

from bot.domain.cards import is_valid_member_number
from bot.store import keys
from bot.store.redis_store import LoyaltyStore
from tests.support.events import user_id
from tests.support.keyspace import every_key


@pytest.fixture
def store(connect_data) -> LoyaltyStore:
    return LoyaltyStore(connect_data())


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
    assert every_key(redis_client, keys.card_number("*")) == [keys.card_number(member.number)]
    handle = store.code_credentials(member.member_id).handle
    assert every_key(redis_client, keys.card_handle("*")) == [keys.card_handle(handle)]


def test_unknown_members_have_no_code_material(store, redis_client):
    assert store.code_credentials("nobody") is None
    assert every_key(redis_client, "*") == []


def test_a_sale_claims_its_code_once_with_a_record_that_expires_with_it(store, redis_client):
    from bot.store.ledger import CodeClaim, Ledger
    from tests.store.test_ledger import PROGRAM, T0

    ledger = Ledger(store.redis, PROGRAM)
    member, _ = store.register_member(user_id(), "x", "ja")

    def sale(txn: str, holder: str):
        return ledger.purchase(
            member_id=member.member_id, now=T0, op_key=f"p:S1:{txn}", fingerprint=txn,
            amount=100, points_used=0, store_id="S1", transaction_id=txn,
            code=CodeClaim((7, 0), holder, 420),
        )  # fmt: skip

    assert sale("T1", "S1 T1 f").status == "applied"
    assert 0 < redis_client.ttl(keys.code_use(member.member_id, 7, 0)) <= 420
    assert store.code_credentials(member.member_id).counter == 1  # the card shows a new code
    assert sale("T9", "S1 T9 g").status == "code_used"  # another transaction: refused
    assert redis_client.get(keys.store_transaction("S1", "T9")) is None  # and nothing bound
