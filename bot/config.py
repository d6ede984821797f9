"""Settings read from the environment, in one place, checked all at once."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.domain.program import Program, ProgramError, load_program

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where sandbox mode keeps what it generates (secret key, channel secret, Redis data).
VAR_DIR = PROJECT_ROOT / "var"
#: The bundled example program, used when LOYALTY_PROGRAM is unset.
DEFAULT_PROGRAM = PROJECT_ROOT / "assets" / "program.example.toml"
#: The embedded Redis listens here when REDIS_URL is unset (see sandbox/embedded_redis.py).
DEFAULT_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
#: Where the sandbox's stand-in for the LINE platform listens (see sandbox/).
SANDBOX_LINE_URL = "http://127.0.0.1:8081"
#: Sandbox web port when PORT is unset (the launcher serves the web process there).
SANDBOX_PORT = 8000
#: Shortest accepted SECRET_KEY, in characters: it signs image URLs and card codes.
MIN_SECRET_KEY_LENGTH = 32
#: Pushes per second over all workers when LINE_PUSH_RATE is unset.
DEFAULT_PUSH_RATE = 1000
#: Highest accepted LINE_PUSH_RATE: LINE allows 2,000 pushes a second per channel, and the
#: limiter's burst (a tenth of the rate) must stay under that too.
MAX_PUSH_RATE = 1800
#: POS requests one store API key may make per minute when POS_RATE_LIMIT_PER_MINUTE is unset;
#: a till makes a few per sale.
DEFAULT_POS_RATE_LIMIT = 600
#: Jobs one worker process runs at once when WORKER_THREADS is unset: a job mostly waits for
#: LINE, so a slow LINE (3 s a call) still answers 50 taps at once within two rounds.
DEFAULT_WORKER_THREADS = 32
#: Most accepted WORKER_THREADS.
MAX_WORKER_THREADS = 256
#: Milliseconds to wait for replicas after a ledger write when REDIS_WAIT_REPLICAS gives no time.
DEFAULT_WAIT_MS = 500


class SettingsError(Exception):
    """One or more settings are missing or invalid; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the processes read from the environment."""

    sandbox: bool
    channel_secret: str
    channel_access_token: str
    line_api_base_url: str | None
    redis_url: str
    public_base_url: str
    secret_key: str
    program: Program
    #: Pushes per second over all worker processes (LINE_PUSH_RATE).
    push_rate: int = DEFAULT_PUSH_RATE
    #: POS requests per minute per store API key (POS_RATE_LIMIT_PER_MINUTE).
    pos_rate_limit: int = DEFAULT_POS_RATE_LIMIT
    #: Jobs each worker process runs at once, one thread each (WORKER_THREADS).
    worker_threads: int = DEFAULT_WORKER_THREADS
    #: The Redis of the job queues (QUEUE_REDIS_URL); None: the same as ``redis_url``.
    queue_redis_url: str | None = None
    #: Replicas that must have each ledger write, and how long to wait for them in ms
    #: (REDIS_WAIT_REPLICAS); None: no waiting.
    wait_replicas: tuple[int, int] | None = None
    #: REDIS_URL names a node of a Redis Cluster (REDIS_CLUSTER=1): member data is sharded.
    redis_cluster: bool = False
    #: Where the daily sweep archives history entries older than the program's retention,
    #: and ``export transactions`` reads them (HISTORY_ARCHIVE_DIR).
    history_archive: Path = PROJECT_ROOT / "var" / "archive"

    @property
    def queues_url(self) -> str:
        """Where the job queues live."""
        return self.queue_redis_url or self.redis_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), reporting every problem at once."""
        read = _Reader(os.environ if env is None else env)
        sandbox, secret, token = read.credentials()
        public = read.public_base_url(sandbox)
        secret_key = read.secret_key(sandbox)
        redis_url = read.redis_url()
        queue_redis_url = read.redis_url("QUEUE_REDIS_URL") if read.get("QUEUE_REDIS_URL") else None
        wait_replicas = read.wait_replicas()
        cluster = read.cluster(redis_url, queue_redis_url)
        line_api = read.line_api_base_url(sandbox)
        push_rate = read.whole_number(
            "LINE_PUSH_RATE", DEFAULT_PUSH_RATE, 1, MAX_PUSH_RATE,
            f"a whole number of pushes per second from 1 to {MAX_PUSH_RATE} (LINE allows 2,000)",
        )  # fmt: skip
        pos_rate_limit = read.whole_number(
            "POS_RATE_LIMIT_PER_MINUTE", DEFAULT_POS_RATE_LIMIT, 1, 1_000_000,
            "a whole number of requests per minute from 1 to 1000000",
        )  # fmt: skip
        worker_threads = read.whole_number(
            "WORKER_THREADS", DEFAULT_WORKER_THREADS, 1, MAX_WORKER_THREADS,
            f"a whole number of jobs a worker process runs at once, 1 to {MAX_WORKER_THREADS}",
        )  # fmt: skip
        program = read.program()
        archive = Path(read.get("HISTORY_ARCHIVE_DIR") or PROJECT_ROOT / "var" / "archive")
        if archive.exists() and not archive.is_dir():
            read.problems.append(f"HISTORY_ARCHIVE_DIR: {archive} is not a directory")
        if read.problems or program is None:
            raise SettingsError(read.problems)
        return cls(
            sandbox=sandbox,
            channel_secret=secret,
            channel_access_token=token,
            line_api_base_url=line_api,
            redis_url=redis_url,
            public_base_url=public,
            secret_key=secret_key,
            program=program,
            push_rate=push_rate,
            pos_rate_limit=pos_rate_limit,
            worker_threads=worker_threads,
            queue_redis_url=queue_redis_url,
            wait_replicas=wait_replicas,
            redis_cluster=cluster,
            history_archive=archive,
        )


class _Reader:
    """Reads one setting at a time from an environment, collecting every problem."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def get(self, name: str) -> str:
        """The variable, stripped; empty when unset."""
        return self.env.get(name, "").strip()

    def credentials(self) -> tuple[bool, str, str]:
        """(sandbox, channel secret, access token): both credentials, or neither (sandbox)."""
        secret, token = self.get("LINE_CHANNEL_SECRET"), self.get("LINE_CHANNEL_ACCESS_TOKEN")
        if bool(secret) != bool(token):
            missing = "LINE_CHANNEL_ACCESS_TOKEN" if secret else "LINE_CHANNEL_SECRET"
            self.problems.append(
                f"{missing}: missing; set both channel credentials, or neither for sandbox mode"
            )
        if secret or token:
            return False, secret, token
        # The stand-in LINE platform accepts any token; the secret signs sandbox webhooks.
        return True, _local_secret("channel_secret"), "sandbox"

    def line_api_base_url(self, sandbox: bool) -> str | None:
        """Where LINE calls go: LINE's hosts (None), or a stand-in (the sandbox's by default)."""
        line_api = self.get("LINE_API_BASE_URL").rstrip("/") or None
        if line_api is None and sandbox:
            line_api = SANDBOX_LINE_URL
        if line_api is not None and not _is_http_url(line_api):
            self.problems.append(f"LINE_API_BASE_URL: {line_api!r} is not an http(s) URL")
        return line_api

    def redis_url(self, name: str = "REDIS_URL") -> str:
        """A Redis URL; for REDIS_URL, the embedded one's socket when it is unset."""
        redis_url = self.get(name) or f"unix://{DEFAULT_REDIS_SOCKET}"
        if urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
            self.problems.append(
                f"{name}: {redis_url!r} must start with redis://, rediss:// or unix://"
            )
        return redis_url

    def wait_replicas(self) -> tuple[int, int] | None:
        """REDIS_WAIT_REPLICAS: ``N`` or ``N/ms`` (N from 1 to 16, ms from 1 to 60000)."""
        raw = self.get("REDIS_WAIT_REPLICAS")
        if not raw or raw == "0":
            return None
        found = re.fullmatch(r"(\d{1,2})(?:/(\d{1,5}))?", raw)
        replicas = int(found[1]) if found else 0
        ms = int(found[2]) if found and found[2] else DEFAULT_WAIT_MS
        if not (1 <= replicas <= 16 and 1 <= ms <= 60_000):
            self.problems.append(
                f"REDIS_WAIT_REPLICAS: {raw!r} must be N or N/ms (replicas 1-16, 1-60000 ms), "
                "such as 1 or 1/200"
            )
            return None
        return replicas, ms

    def cluster(self, redis_url: str, queue_redis_url: str | None) -> bool:
        """REDIS_CLUSTER: ``1`` when REDIS_URL is a node of a Redis Cluster, which needs TCP
        and the queues on a Redis of their own (RQ does not run on a cluster)."""
        value = self.get("REDIS_CLUSTER")
        if value in ("", "0"):
            return False
        if value != "1":
            self.problems.append(f"REDIS_CLUSTER: {value!r} must be 1 (a Redis Cluster) or 0")
            return False
        if urlsplit(redis_url).scheme not in ("redis", "rediss"):
            self.problems.append(
                f"REDIS_CLUSTER: REDIS_URL {redis_url!r} must be a redis:// or rediss:// URL "
                "of a cluster node"
            )
        if queue_redis_url is None:
            self.problems.append(
                "REDIS_CLUSTER: set QUEUE_REDIS_URL to a Redis that is not part of the cluster; "
                "the job queues cannot run on a Redis Cluster"
            )
        return True

    def public_base_url(self, sandbox: bool) -> str:
        """The https origin LINE fetches images from (the local web port in the sandbox)."""
        public = self.get("PUBLIC_BASE_URL").rstrip("/")
        if not public:
            if sandbox:
                return f"http://127.0.0.1:{self.get('PORT') or SANDBOX_PORT}"
            self.problems.append(
                "PUBLIC_BASE_URL: missing; LINE fetches card images from this https origin"
            )
        elif not _is_http_url(public):
            self.problems.append(f"PUBLIC_BASE_URL: {public!r} is not an http(s) URL")
        elif not sandbox and urlsplit(public).scheme != "https":
            self.problems.append(
                f"PUBLIC_BASE_URL: {public!r} must be https; LINE only fetches https"
            )
        return public

    def secret_key(self, sandbox: bool) -> str:
        """SECRET_KEY, long enough; generated and kept in var/ in the sandbox."""
        secret_key = self.get("SECRET_KEY")
        if not secret_key and sandbox:
            secret_key = _local_secret("secret_key")
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            self.problems.append(
                f"SECRET_KEY: must be at least {MIN_SECRET_KEY_LENGTH} characters "
                f"(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return secret_key

    def whole_number(self, name: str, default: int, low: int, high: int, what: str) -> int:
        """An optional whole number from ``low`` to ``high``; ``what`` says what it must be."""
        raw = self.get(name)
        if not raw:
            return default
        value = int(raw) if raw.isdigit() else 0
        if not low <= value <= high:
            self.problems.append(f"{name}: {raw!r} must be {what}")
        return value

    def program(self) -> Program | None:
        """The loyalty program file (the bundled example when LOYALTY_PROGRAM is unset)."""
        path = Path(self.get("LOYALTY_PROGRAM") or DEFAULT_PROGRAM)
        try:
            return load_program(path)
        except ProgramError as exc:
            self.problems.extend(f"LOYALTY_PROGRAM: {line}" for line in exc.problems)
            return None


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _local_secret(name: str) -> str:
    """Return a secret kept in ``var/``, creating it on first use (sandbox mode only)."""
    path = VAR_DIR / name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
