"""Redis clients: one Redis (a primary, with replicas) or a Redis Cluster (REDIS_CLUSTER=1).

A cluster client routes each command by its key's slot; a script or a transaction must stay in
one slot (bot/store/keys.py names keys so that a member's do), and a read of many keys goes
through ``mget``, which splits it by slot on a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis
from redis.cluster import RedisCluster
from redis.exceptions import ClusterDownError, SlotNotCoveredError, TryAgainError

#: What a request meets while Redis is away or a cluster fails over: the answer is 503 (or a
#: retry), never a guess; the same request later gets the first result.
UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ClusterDownError,  # CLUSTERDOWN: a primary died and its replica is not promoted yet
    TryAgainError,  # a slot being moved
    SlotNotCoveredError,  # no node answers for a slot (not a cross-slot bug: that one fails)
)


def connect(
    url: str, timeout: float = 5.0, *, cluster: bool = False, decode: bool = True
) -> redis.Redis:
    """A client for ``url`` (on a cluster: any of its nodes); ``timeout`` in seconds per call;
    ``decode``: values come back as ``str``, else as bytes."""
    options = {
        "decode_responses": decode,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    if cluster:
        return RedisCluster.from_url(url, **options)  # type: ignore[return-value]
    return redis.Redis.from_url(url, **options)


def mget(client: redis.Redis, names: Sequence[str]) -> list:
    """The values of ``names`` in one command on one Redis, one per slot's node on a cluster."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(list(names))
    return client.mget(names)
