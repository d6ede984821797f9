"""Reading a test's whole keyspace, on one Redis or on every primary of a cluster."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster


def every_key(client: redis.Redis, pattern: str = "*") -> list[str]:
    """Every key name matching ``pattern`` (KEYS: for tests only)."""
    if isinstance(client, RedisCluster):
        return client.keys(pattern, target_nodes=RedisCluster.PRIMARIES)
    return client.keys(pattern)
