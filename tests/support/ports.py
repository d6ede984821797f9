"""Free loopback TCP ports for servers a test starts."""

from __future__ import annotations

import socket
from contextlib import ExitStack


def free_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on now, each with its Redis Cluster bus port
    (the port + 10000) free too."""
    found: list[int] = []
    with ExitStack() as held:
        while len(found) < count:
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if port + 10000 > 65535:
                continue
            with socket.socket() as bus:
                try:
                    bus.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            found.append(port)
    return found
