"""Settings read from the environment, in one place, checked all at once."""

from __future__ import annotations

import os
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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), reporting every problem at once."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(name: str) -> str:
            return env.get(name, "").strip()

        secret, token = get("LINE_CHANNEL_SECRET"), get("LINE_CHANNEL_ACCESS_TOKEN")
        sandbox = not secret and not token
        if bool(secret) != bool(token):
            missing = "LINE_CHANNEL_ACCESS_TOKEN" if secret else "LINE_CHANNEL_SECRET"
            problems.append(
                f"{missing}: missing; set both channel credentials, or neither for sandbox mode"
            )

        line_api = get("LINE_API_BASE_URL").rstrip("/") or None
        if line_api is None and sandbox:
            line_api = SANDBOX_LINE_URL
        if line_api is not None and not _is_http_url(line_api):
            problems.append(f"LINE_API_BASE_URL: {line_api!r} is not an http(s) URL")

        redis_url = get("REDIS_URL") or f"unix://{DEFAULT_REDIS_SOCKET}"
        if urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
            problems.append(
                f"REDIS_URL: {redis_url!r} must start with redis://, rediss:// or unix://"
            )

        public = get("PUBLIC_BASE_URL").rstrip("/")
        if not public:
            if sandbox:
                public = f"http://127.0.0.1:{get('PORT') or SANDBOX_PORT}"
            else:
                problems.append(
                    "PUBLIC_BASE_URL: missing; LINE fetches card images from this https origin"
                )
        elif not _is_http_url(public):
            problems.append(f"PUBLIC_BASE_URL: {public!r} is not an http(s) URL")
        elif not sandbox and urlsplit(public).scheme != "https":
            problems.append(f"PUBLIC_BASE_URL: {public!r} must be https; LINE only fetches https")

        secret_key = get("SECRET_KEY")
        if not secret_key and sandbox:
            secret_key = _local_secret("secret_key")
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"SECRET_KEY: must be at least {MIN_SECRET_KEY_LENGTH} characters "
                f"(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if sandbox:
            secret = _local_secret("channel_secret")
            token = "sandbox"  # noqa: S105 - the stand-in LINE platform accepts any token

        push_rate = DEFAULT_PUSH_RATE
        if get("LINE_PUSH_RATE"):
            raw_rate = get("LINE_PUSH_RATE")
            push_rate = int(raw_rate) if raw_rate.isdigit() else 0
            if not 1 <= push_rate <= MAX_PUSH_RATE:
                problems.append(
                    f"LINE_PUSH_RATE: {raw_rate!r} must be a whole number of pushes per second "
                    f"from 1 to {MAX_PUSH_RATE} (LINE allows 2,000)"
                )

        pos_rate_limit = DEFAULT_POS_RATE_LIMIT
        if get("POS_RATE_LIMIT_PER_MINUTE"):
            raw_limit = get("POS_RATE_LIMIT_PER_MINUTE")
            pos_rate_limit = int(raw_limit) if raw_limit.isdigit() else 0
            if not 1 <= pos_rate_limit <= 1_000_000:
                problems.append(
                    f"POS_RATE_LIMIT_PER_MINUTE: {raw_limit!r} must be a whole number of "
                    "requests per minute from 1 to 1000000"
                )

        program: Program | None = None
        program_path = Path(get("LOYALTY_PROGRAM") or DEFAULT_PROGRAM)
        try:
            program = load_program(program_path)
        except ProgramError as exc:
            problems.extend(f"LOYALTY_PROGRAM: {line}" for line in exc.problems)

        if problems or program is None:
            raise SettingsError(problems)
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
        )


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
