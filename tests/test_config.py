"""Settings: every problem reported at once, each naming its variable."""

from __future__ import annotations

import pytest

from bot.config import Settings, SettingsError

GOOD = {
    "LINE_CHANNEL_SECRET": "s",
    "LINE_CHANNEL_ACCESS_TOKEN": "t",
    "REDIS_URL": "redis://localhost:6379/0",
    "PUBLIC_BASE_URL": "https://cards.example.com",
    "SECRET_KEY": "k" * 40,
}


def test_production_settings():
    settings = Settings.from_env(GOOD)
    assert not settings.sandbox
    assert settings.line_api_base_url is None  # the SDK's own LINE hosts


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"LINE_CHANNEL_ACCESS_TOKEN": ""}, "LINE_CHANNEL_ACCESS_TOKEN"),
        ({"LINE_CHANNEL_SECRET": ""}, "LINE_CHANNEL_SECRET"),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://cards.example.com"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "cards.example.com"}, "PUBLIC_BASE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"LINE_API_BASE_URL": "ftp://x"}, "LINE_API_BASE_URL"),
        ({"LOYALTY_PROGRAM": "/nonexistent.toml"}, "LOYALTY_PROGRAM"),
        ({"POS_RATE_LIMIT_PER_MINUTE": "0"}, "POS_RATE_LIMIT_PER_MINUTE"),
        ({"POS_RATE_LIMIT_PER_MINUTE": "lots"}, "POS_RATE_LIMIT_PER_MINUTE"),
        ({"LINE_PUSH_RATE": "0"}, "LINE_PUSH_RATE"),
        ({"LINE_PUSH_RATE": "2000"}, "LINE_PUSH_RATE"),
        ({"LINE_PUSH_RATE": "fast"}, "LINE_PUSH_RATE"),
        ({"WORKER_THREADS": "0"}, "WORKER_THREADS"),
        ({"WORKER_THREADS": "1000"}, "WORKER_THREADS"),
        ({"QUEUE_REDIS_URL": "localhost:6379"}, "QUEUE_REDIS_URL"),
        ({"REDIS_WAIT_REPLICAS": "one"}, "REDIS_WAIT_REPLICAS"),
        ({"REDIS_WAIT_REPLICAS": "1/0"}, "REDIS_WAIT_REPLICAS"),
        ({"REDIS_WAIT_REPLICAS": "1/200ms"}, "REDIS_WAIT_REPLICAS"),
        ({"REDIS_CLUSTER": "1"}, "REDIS_CLUSTER"),  # without QUEUE_REDIS_URL
        ({"REDIS_CLUSTER": "yes", "QUEUE_REDIS_URL": "redis://q:6379/0"}, "REDIS_CLUSTER"),
        (
            {
                "REDIS_CLUSTER": "1",
                "QUEUE_REDIS_URL": "redis://q:6379/0",
                "REDIS_URL": "unix:///tmp/r.sock",
            },
            "REDIS_CLUSTER",
        ),
    ],
)
def test_each_bad_setting_is_named(change, variable):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, **change})
    assert [p.split(":")[0] for p in caught.value.problems] == [variable]


def test_queues_and_replicas():
    plain = Settings.from_env(GOOD)
    assert (plain.queues_url, plain.wait_replicas, plain.worker_threads) == (
        "redis://localhost:6379/0", None, 32,
    )  # fmt: skip
    apart = Settings.from_env({**GOOD, "QUEUE_REDIS_URL": "redis://queues:6379/0"})
    assert apart.queues_url == "redis://queues:6379/0"
    assert apart.redis_url == "redis://localhost:6379/0"
    assert Settings.from_env({**GOOD, "REDIS_WAIT_REPLICAS": "1"}).wait_replicas == (1, 500)
    assert Settings.from_env({**GOOD, "REDIS_WAIT_REPLICAS": "2/150"}).wait_replicas == (2, 150)
    assert Settings.from_env({**GOOD, "REDIS_WAIT_REPLICAS": "0"}).wait_replicas is None
    assert not Settings.from_env({**GOOD, "REDIS_CLUSTER": "0"}).redis_cluster
    on = Settings.from_env({**GOOD, "REDIS_CLUSTER": "1", "QUEUE_REDIS_URL": "redis://q:6379/0"})
    assert (on.redis_cluster, on.queues_url) == (True, "redis://q:6379/0")


def test_push_rate_defaults_below_lines_limit():
    assert Settings.from_env(GOOD).push_rate == 1000
    assert Settings.from_env({**GOOD, "LINE_PUSH_RATE": "250"}).push_rate == 250


def test_all_problems_at_once():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"LINE_CHANNEL_SECRET": "s", "REDIS_URL": "x://", "SECRET_KEY": "k"})
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {"LINE_CHANNEL_ACCESS_TOKEN", "REDIS_URL", "PUBLIC_BASE_URL", "SECRET_KEY"}


def test_no_credentials_means_sandbox_with_local_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr("bot.config.VAR_DIR", tmp_path)
    settings = Settings.from_env({})
    assert settings.sandbox
    assert settings.line_api_base_url.startswith("http://127.0.0.1")
    assert settings.redis_url.startswith("unix://")
    # The generated secrets are kept, so every process of the sandbox agrees on them.
    assert Settings.from_env({}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
