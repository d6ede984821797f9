"""flask store add / rotate-key."""

from __future__ import annotations

import pytest


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
    for name in redis_client.keys("*"):
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
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0
        assert "Usage" in result.output
