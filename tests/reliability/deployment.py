"""A deployment as an operator runs it: every Procfile process started with only the
environment of the product's interface (credentials, LINE host, Redis, public URL, secret,
program; plus PATH, PORT and BIND), its own Redis that can be killed, a till that retries a
sale with the same body until it has an answer, and LINE that redelivers a webhook until it
gets a 200. The suite stands in for the process supervisor: it kills processes and starts
them again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rq.job import Job
from rq.registry import FailedJobRegistry

from bot import create_app
from bot.config import Settings
from bot.jobs.queue import event_queue, queue
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine
from tests.conftest import env_for_doubles
from tests.support import events

ROOT = Path(__file__).resolve().parents[2]
PUSH, REPLY = "/v2/bot/message/push", "/v2/bot/message/reply"
#: What a keeper logs when its process takes the lock (bot/jobs/keeper.py).
KEEPING = "this process keeps the queues"
PROGRAM = """
[program]
name = "テスト店"
timezone = "Asia/Tokyo"

[points]
lifetime = "12mo"

[card]
code_mode = "static"
"""


def procfile() -> dict[str, str]:
    """The Procfile's processes: name -> command."""
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(
        (name.strip(), command.strip())
        for name, _, command in (line.partition(":") for line in lines)
        if command.strip()
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float, what: str | Callable[[], str]) -> float:
    """Poll ``condition`` until true; the seconds it took. Fails after ``seconds``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            raise AssertionError(
                f"not within {seconds:g} s: {what if isinstance(what, str) else what()}"
            )
        time.sleep(0.1)
    return time.monotonic() - began


@dataclass
class Deployment:
    """The processes of the Procfile against ``redis`` and ``line``."""

    redis: EmbeddedRedis
    line: FakeLine
    logs: Path
    port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        program = self.logs / "program.toml"
        program.write_text(PROGRAM, encoding="utf-8")
        self.env = {
            **env_for_doubles(self.redis.url, self.line.url, LOYALTY_PROGRAM=str(program)),
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PORT": str(self.port),
            "BIND": "127.0.0.1",
        }
        self.app = create_app({"TESTING": True, "SETTINGS": Settings.from_env(self.env)})
        self.services = self.app.extensions["loyalty"]
        self.base = f"http://127.0.0.1:{self.port}"

    # -- processes -------------------------------------------------------------------------

    def start(self, *names: str) -> None:
        """Start the named Procfile processes (all when none are named)."""
        commands = procfile()
        for name in names or tuple(commands):
            self.starts[name] = self.starts.get(name, 0) + 1
            with (self.logs / f"{name}.{self.starts[name]}.log").open("wb") as log:
                self.processes[name] = subprocess.Popen(
                    ["/bin/sh", "-c", f"exec {commands[name]}"], cwd=ROOT, env=self.env,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started (gunicorn's workers too)."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.processes.items()}

    def log(self, name: str) -> str:
        """Everything the process of that name wrote, over all its starts."""
        return "".join(
            (self.logs / f"{name}.{n}.log").read_text(errors="replace")
            for n in range(1, self.starts.get(name, 0) + 1)
        )

    def keeper(self) -> str:
        """The process that took the keeper's lock last (from the logs' times)."""
        latest: dict[str, str] = {}
        for name in self.processes:
            for line in self.log(name).splitlines():
                if KEEPING in line:
                    latest[name] = line[:23]
        if not latest:
            raise AssertionError("no process keeps the queues")
        return max(latest, key=latest.__getitem__)

    def stop(self) -> None:
        """SIGTERM everything; each process must stop by itself, cleanly."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = "killed after 40 s"
        self.services.line.close()
        self.exit_codes = codes

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as answer:  # noqa: S310
                return answer.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def ready(self) -> None:
        """Wait until the web answers, some process keeps the queues and workers listen."""
        wait_for(self.healthy, 30, "/healthz 200")
        wait_for(lambda: any(KEEPING in self.log(n) for n in self.processes), 30, "a keeper")

        def listening() -> bool:
            health = json.loads(_get(self.base + "/healthz"))
            return all(q["workers"] > 0 for q in health["queues"].values())

        wait_for(listening, 30, "workers on every queue")

    # -- shoppers, tills and LINE ---------------------------------------------------------

    def members(self, count: int) -> list:
        store = self.services.store
        return [store.register_member(events.user_id(), "Shopper", "ja")[0] for _ in range(count)]

    def store_key(self) -> str:
        return self.services.store.add_store("S1", "Shibuya")

    def sale(self, key: str, member, number: int, seconds: float = 90) -> dict:
        """A till's sale: the same body again after a dropped connection or a 5xx, as the
        README tells tills to do, until it has an answer."""
        code = self.services.card_codes.current(member, self.services.clock()).value
        body = json.dumps(
            {"transaction_id": f"T{number}", "card_code": code, "amount": 1000 + number}
        ).encode()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        return _until_answered(self.base + "/api/v1/transactions", body, headers, seconds)

    def tap(self, user: str, seconds: float = 90) -> str:
        """A shopper writes 会員証; LINE redelivers the webhook until it gets a 200. Returns
        the reply token."""
        event = events.text(user, "会員証")
        raw = events.body(event)
        headers = {"X-Line-Signature": events.sign(raw, self.env["LINE_CHANNEL_SECRET"]),
                   "Content-Type": "application/json"}  # fmt: skip
        answer = _until_answered(self.base + "/callback", raw, headers, seconds)
        assert answer == {}, answer
        return event["replyToken"]

    def jobs(self) -> str:
        """Where the jobs are, per queue (for a failure's message)."""
        lines = []
        for jobs in (queue(self.services), event_queue(self.services)):
            failed = FailedJobRegistry(queue=jobs)
            reasons = [
                (Job.fetch(i, connection=jobs.connection).exc_info or "")[-300:]
                for i in failed.get_job_ids()[:3]
            ]
            lines.append(
                f"{jobs.name}: waiting {jobs.count}, scheduled {jobs.scheduled_job_registry.count}"
                f", started {jobs.started_job_registry.count}, taken but not started "
                f"{len(jobs.intermediate_queue.get_job_ids())}, failed {failed.count} {reasons}"
            )
        return "; ".join(lines)

    def receipts_by_user(self) -> dict[str, int]:
        """Receipts LINE delivered, per user."""
        counts: dict[str, int] = {}
        for push in self.line.pushes():
            counts[push["to"]] = counts.get(push["to"], 0) + 1
        return counts

    def replies_by_token(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reply in self.line.replies():
            counts[reply["replyToken"]] = counts.get(reply["replyToken"], 0) + 1
        return counts


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.read()
    except urllib.error.HTTPError as exc:
        return exc.read()


def _until_answered(url: str, body: bytes, headers: dict[str, str], seconds: float) -> dict:
    """POST until a 2xx (its JSON) or a 4xx (an AssertionError); retry 5xx and lost
    connections with the same body, a second apart."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                text = answer.read()
                is_json = answer.headers.get_content_type().endswith("json")
                return json.loads(text) if is_json else {}
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise AssertionError(f"{url}: {exc.code} {exc.read()[:300]!r}") from exc
        except OSError:
            pass  # refused, reset or timed out: the process died, or Redis did
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: no answer within {seconds} s")
        time.sleep(1.0)
