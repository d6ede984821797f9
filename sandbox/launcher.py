"""``make run``: start Redis (embedded unless REDIS_URL is set), the sandbox LINE stand-in
(without credentials), and the Procfile's processes under honcho."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import (
    DEFAULT_REDIS_SOCKET,
    PROJECT_ROOT,
    SANDBOX_PORT,
    Settings,
    SettingsError,
)
from sandbox.embedded_redis import EmbeddedRedis, EmbeddedRedisError

#: The first line ``make run`` prints in sandbox mode: where a newcomer starts.
PAGE_LINE = "Sandbox: open {page} in a browser (shoppers, staff, rich menu and till on one page)"

NEXT_STEPS = """
Sandbox mode: no LINE credentials, so LINE calls go to a local stand-in at {line}.
The page {page} plays LINE: add friend, tap, send photos, charge at the till.
The same from another terminal in {root}, for scripts:

  .venv/bin/python -m sandbox follow          # a shopper adds the bot as a friend
  .venv/bin/python -m sandbox inbox           # what the shopper got: welcome + card
  .venv/bin/flask --app wsgi store add S001 --name "Shibuya"   # prints a POS API key
  .venv/bin/python -m sandbox buy --key <key> --amount 1280  # the till scans the card
  .venv/bin/python -m sandbox inbox           # the electronic receipt
  .venv/bin/python -m sandbox tap card        # the shopper taps "card"

The card image URL printed by `inbox` opens in a browser. Ctrl-C stops everything.
"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Run the bot until Ctrl-C."""
    env = dict(os.environ)
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    page = f"{settings.public_base_url}/_sandbox/"
    if settings.sandbox:
        print(PAGE_LINE.format(page=page), flush=True)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    with ExitStack() as stack:
        try:
            if not env.get("REDIS_URL"):
                server = EmbeddedRedis(DEFAULT_REDIS_SOCKET.parent, DEFAULT_REDIS_SOCKET).start()
                stack.callback(server.stop)
                env["REDIS_URL"] = server.url
                print(f"Embedded Redis (AOF, fsync always) at {server.url}", flush=True)
        except EmbeddedRedisError as exc:
            print(f"REDIS_URL: unset and the embedded Redis failed: {exc}", file=sys.stderr)
            return 2
        if settings.sandbox:
            from sandbox.fake_line import FakeLine

            line_url = urlsplit(settings.line_api_base_url or "")
            fake = FakeLine(host=line_url.hostname or "127.0.0.1", port=line_url.port or 8081)
            stack.enter_context(fake)
            env["LINE_API_BASE_URL"] = fake.url
            # honcho gives each process its own PORT; card URLs must name the web one.
            env["PUBLIC_BASE_URL"] = settings.public_base_url
            env.setdefault("BIND", "127.0.0.1")
            print(NEXT_STEPS.format(line=fake.url, page=page, root=PROJECT_ROOT), flush=True)
        else:
            webhook = f"{settings.public_base_url}/callback"
            print(f"Live mode: LINE credentials are set; the webhook URL is {webhook}", flush=True)
        # honcho gives the first Procfile entry (web) this port, the next ones +100.
        port = env.get("PORT") or str(SANDBOX_PORT)
        honcho = subprocess.Popen(  # noqa: S603 - fixed command line
            [os.path.join(venv_bin, "honcho"), "start", "-f", "Procfile", "-p", port],
            cwd=PROJECT_ROOT,
            env=env,
        )
        # SIGTERM (from a process manager or `timeout`) stops everything as Ctrl-C does: the
        # Procfile processes first, then Redis, so no worker sees Redis vanish mid-job.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            return honcho.wait()


if __name__ == "__main__":
    sys.exit(main())
