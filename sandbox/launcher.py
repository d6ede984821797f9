"""``make run``: start Redis (embedded unless REDIS_URL is set), the sandbox LINE stand-in
(without credentials), and the Procfile's processes under honcho."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from bot.config import (
    DEFAULT_REDIS_SOCKET,
    PROJECT_ROOT,
    SANDBOX_PORT,
    VAR_DIR,
    Settings,
    SettingsError,
)
from sandbox.embedded_redis import EmbeddedRedis, EmbeddedRedisError

#: Held (flock) while a run uses this folder's embedded Redis; holds the run's process id.
RUN_LOCK = VAR_DIR / "run.lock"
#: Where the sandbox's stand-in for LINE listens unless LINE_API_BASE_URL says otherwise.
SANDBOX_LINE_PORT = 8081
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


def take_run_lock(path: Path) -> IO[str] | None:
    """Hold the folder's run lock for as long as the returned file stays open; None when
    another run holds it (its process id is in the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="ascii")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _holder(path: Path) -> str:
    """The process id the run lock names, as written ('?' when unreadable)."""
    try:
        return path.read_text(encoding="ascii").strip() or "?"
    except OSError:
        return "?"


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on (host, port), as a server binding it would see."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _free_port_after(host: str, port: int) -> int:
    """A free port to suggest: the first of port + 10, + 20, ... that nothing listens on."""
    for candidate in range(port + 10, min(port + 1000, 65536), 10):
        if not port_taken(host, candidate):
            return candidate
    return 0


def busy_ports(env: dict[str, str], settings: Settings) -> list[str]:
    """What to do about each port the run needs that something else listens on."""
    problems = []
    host = env.get("BIND") or ("127.0.0.1" if settings.sandbox else "0.0.0.0")  # noqa: S104
    web = int(env.get("PORT") or SANDBOX_PORT)
    if port_taken(host, web):
        other = _free_port_after(host, web)
        problems.append(
            f"Port {web} (the web process) is taken: another program, or another `make run`, "
            f"listens on it. Stop it, or run on another port: PORT={other or 'N'} make run"
        )
    if settings.sandbox:
        line = urlsplit(settings.line_api_base_url or "")
        line_host, line_port = line.hostname or "127.0.0.1", line.port or SANDBOX_LINE_PORT
        if port_taken(line_host, line_port):
            other = _free_port_after(line_host, line_port) or "N"
            problems.append(
                f"Port {line_port} (the sandbox's stand-in for LINE) is taken. Stop what "
                f"listens on it, or move the stand-in: "
                f"LINE_API_BASE_URL=http://{line_host}:{other} make run"
            )
    return problems


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
        if not env.get("REDIS_URL"):
            # This folder's embedded Redis serves one run at a time.
            lock = take_run_lock(RUN_LOCK)
            if lock is None:
                print(
                    f"Another `make run` is already going in {PROJECT_ROOT} (process "
                    f"{_holder(RUN_LOCK)}): use that one, or stop it first (Ctrl-C in its "
                    "terminal).",
                    file=sys.stderr,
                )
                return 2
            stack.callback(lock.close)
        problems = busy_ports(env, settings)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
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
