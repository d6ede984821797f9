"""flask store add / rotate-key / rename / list, and store ids in any case."""

from __future__ import annotations

import pytest

from bot.store import keys
from bot.store.rate_limit import hash_key
from tests.support.keyspace import every_key


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_store_add_prints_a_working_key_once(runner, services, redis_client):
    result = runner.invoke(args=["store", "add", "S001", "--name", "渋谷店"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert services.store.store_for_api_key(key).name == "渋谷店"
    # Only the hash is stored: the key itself appears nowhere in Redis.
    values = []
    for name in every_key(redis_client):
        kind = redis_client.type(name)
        if kind == "string":
            values.append(redis_client.get(name))
        elif kind == "hash":
            values.extend(redis_client.hvals(name))
    assert values
    assert not any(key in value for value in values)


def test_store_add_twice_is_refused_and_keeps_the_first_key(runner, services):
    first = runner.invoke(args=["store", "add", "S001", "--name", "A"]).output.split()[-1]
    again = runner.invoke(args=["store", "add", "S001", "--name", "B"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert services.store.store_for_api_key(first).name == "A"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["store", "add", "bad id", "--name", "x"], "STORE_ID"),
        (["store", "add", "S" * 33, "--name", "x"], "STORE_ID"),
        (["store", "add", "S001", "--name", " "], "--name"),
        (["store", "add", "S001"], "--name"),
        (["store", "rotate-key", "NOPE"], "no store NOPE"),
        (["store", "rotate-key", "bad id"], "STORE_ID"),
        (["store", "rename", "NOPE", "--name", "x"], "no store NOPE"),
        (["store", "rename", "S001", "--name", "\t"], "--name"),
        (["store", "rename", "S001"], "--name"),
        (["store", "add", "Sſ01", "--name", "x"], "STORE_ID"),  # 'ſ'.upper() is 'S'
    ],
)
def test_bad_input_gets_a_clear_error(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_rotate_key_revokes_the_old_key(runner, services):
    old = runner.invoke(args=["store", "add", "S001", "--name", "A"]).output.split()[-1]
    result = runner.invoke(args=["store", "rotate-key", "S001"])
    new = result.output.split()[-1]
    assert result.exit_code == 0
    assert services.store.store_for_api_key(old) is None
    assert services.store.store_for_api_key(new).store_id == "S001"


def test_every_command_has_help(runner):
    for args in (
        ["store", "--help"],
        ["store", "add", "--help"],
        ["store", "rotate-key", "--help"],
        ["store", "rename", "--help"],
        ["store", "list", "--help"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_store_ids_are_case_insensitive_and_kept_in_upper_case(runner, services):
    added = runner.invoke(args=["store", "add", "s002", "--name", "Ikebukuro"])
    assert added.exit_code == 0, added.output
    assert "Store S002 registered" in added.output
    key = added.output.split()[-1]
    assert services.store.store_for_api_key(key).store_id == "S002"
    again = runner.invoke(args=["store", "add", "S002", "--name", "Other"])
    assert again.exit_code != 0
    assert "store S002 already exists" in again.output
    rotated = runner.invoke(args=["store", "rotate-key", "s002"])
    assert rotated.exit_code == 0, rotated.output
    assert services.store.store_for_api_key(rotated.output.split()[-1]).store_id == "S002"
    assert services.store.store_for_api_key(key) is None
    assert runner.invoke(args=["store", "rename", " s002 ", "--name", "池袋"]).exit_code == 0
    assert services.store.store_name("S002") == "池袋"
    assert services.store.store_ids() == ["S002"]


@pytest.mark.single_redis
def test_a_store_written_in_another_case_before_is_found_in_any_case(
    runner, services, redis_client
):
    # As an earlier version left a store added as "s003": its id stays as written (sales and
    # staff refer to it), and no second store can be added under another case.
    redis_client.hset(keys.store("s003"), mapping={"name": "Old", "key_hash": "h"})
    redis_client.set(keys.api_key("h"), "s003")
    assert runner.invoke(args=["store", "rename", "S003", "--name", "New"]).exit_code == 0
    assert services.store.store_name("s003") == "New"
    refused = runner.invoke(args=["store", "add", "S003", "--name", "Twin"])
    assert refused.exit_code != 0
    assert "store s003 already exists" in refused.output
    assert not redis_client.exists(keys.store("S003"))
    assert runner.invoke(args=["store", "rotate-key", "S003"]).exit_code == 0
    assert redis_client.hget(keys.store("s003"), "key_hash") != "h"
    assert not redis_client.exists(keys.api_key("h"))


def test_rename_changes_what_receipts_show_and_keeps_the_key(runner, services):
    key = runner.invoke(args=["store", "add", "S001", "--name", "Shibuya"]).output.split()[-1]
    result = runner.invoke(args=["store", "rename", "S001", "--name", " 渋谷店 "])
    assert result.exit_code == 0, result.output
    assert "Store S001 renamed from 'Shibuya' to '渋谷店'." in result.output
    assert services.store.store_for_api_key(key).name == "渋谷店"  # this process: at once
    same = runner.invoke(args=["store", "rename", "S001", "--name", "渋谷店"])
    assert "already named '渋谷店'; nothing changed" in same.output


def test_rename_of_an_unknown_store_writes_nothing(runner, redis_client):
    result = runner.invoke(args=["store", "rename", "S404", "--name", "x"])
    assert result.exit_code != 0
    assert "no store S404" in result.output
    assert [k for k in every_key(redis_client, "*") if "S404" in k] == []


def test_list_shows_each_store_without_key_material(runner, services):
    assert runner.invoke(args=["store", "list"]).output.startswith("No stores registered")
    api_keys = [
        runner.invoke(args=["store", "add", store_id, "--name", name]).output.split()[-1]
        for store_id, name in (("S002", "池袋店"), ("S001", "渋谷店"))
    ]
    services.staff.add("U" + "a" * 32, "S001")
    services.staff.add("U" + "b" * 32, "S001")
    result = runner.invoke(args=["store", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ID    API KEY  STAFF  NAME",
        "S001  yes          2  渋谷店",
        "S002  yes          0  池袋店",
        "2 stores.",
    ]
    for key in api_keys:
        assert key not in result.output
        assert hash_key(key) not in result.output


@pytest.mark.single_redis
def test_list_finds_stores_registered_before_the_store_index(runner, services, redis_client):
    # Written as an earlier version did: the hash and the key, no index entry.
    redis_client.hset(keys.store("S009"), mapping={"name": "Old store", "key_hash": "h"})
    redis_client.set(keys.api_key("h"), "S009")
    redis_client.set(keys.store_transaction("S009", "T-1"), "m f")
    runner.invoke(args=["store", "add", "S010", "--name", "New store"])
    listing = runner.invoke(args=["store", "list"]).output
    assert "S009  yes          0  Old store" in listing
    assert "S010  yes          0  New store" in listing
    assert "2 stores." in listing
    assert redis_client.exists(keys.store_index_complete())
    assert services.store.store_ids() == ["S009", "S010"]
