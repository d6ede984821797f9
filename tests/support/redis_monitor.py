"""What a block of code asks of Redis, read with ``MONITOR`` (no timing, no mocks)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import redis


@contextmanager
def commands_during(redis_url: str) -> Iterator[list[str]]:
    """The names of the commands Redis runs during the block, in order (filled in on exit)."""
    client, marker_client = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    seen: list[str] = []
    try:
        marker_client.ping()  # its connection is set up before the block, so not in it
        with client.monitor() as monitor:
            yield seen
            # Everything sent before this marker is in the monitor's stream before it.
            marker = f"end-of-block-{secrets.token_hex(4)}"
            marker_client.echo(marker)
            for entry in monitor.listen():
                if entry["command"] == f"ECHO {marker}":
                    break
                seen.append(entry["command"].split(" ", 1)[0].upper())
    finally:
        client.close()
        marker_client.close()


def round_trips(commands: list[str]) -> int:
    """Round trips for ``commands`` as redis-py sends them: a MULTI ... EXEC transaction is
    one write and one read; any other command is one of its own."""
    trips, in_transaction = 0, False
    for name in commands:
        if name == "MULTI":
            trips, in_transaction = trips + 1, True
        elif name == "EXEC":
            in_transaction = False
        elif not in_transaction:
            trips += 1
    return trips
