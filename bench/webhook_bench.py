"""Webhook acknowledgement: ``POST /callback`` against a route that only checks the signature.

    .venv/bin/python -m bench.webhook_bench [--rounds 3] [--seconds 8] [--workers 2,1]

Every route is served by the same gunicorn command as the Procfile's ``web`` (the production
app plus bench/webhook_routes.py; 2 workers x 4 threads, then 1) on an embedded Redis with
``appendfsync always``. A third route, ``/bench/durable``, checks the signature and writes the
body to Redis once: the floor of any acknowledgement that is on disk before its 200. ``wrk``
sends pre-generated, validly signed bodies, each once (unique webhookEventIds, timestamps of
the moment), in interleaved rounds: baseline, floor, subject, baseline, ... Redis is emptied
between rounds (no worker runs: the queue would only grow). Printed: rates with medians and
ranges, ``subject / baseline`` ratios per round, which gunicorn worker answered (the
connection split), Redis commands and round trips per request, one more round of each with
``appendfsync no``, then an in-process CPU profile and a body of 1,000 events.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import hmac
import json
import pstats
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from bench import webhook_routes, wrk
from bench.common import bench_env, fresh_redis, gunicorn, redis_per_request, reset_redis_stats
from bot import create_app
from bot.config import Settings
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

BASELINE, FLOOR, SUBJECT = "/bench/signature", "/bench/durable", "/callback"
ROUTES = (BASELINE, FLOOR, SUBJECT)
_ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event(now_ms: int) -> dict:
    """A text message event as LINE sends it, with a fresh id, user and reply token."""
    return {
        "type": "message",
        "mode": "active",
        "timestamp": now_ms,
        "source": {"type": "user", "userId": "U" + secrets.token_hex(16)},
        "webhookEventId": "".join(secrets.choice(_ULID_CHARS) for _ in range(26)),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "message": {"type": "text", "id": str(secrets.randbelow(10**18)), "text": "card",
                    "quoteToken": secrets.token_urlsafe(16)},
    }  # fmt: skip


def signed_body(secret: str, events: int) -> tuple[str, str]:
    """A webhook body of ``events`` fresh events and its X-Line-Signature."""
    now_ms = int(time.time() * 1000)
    body = json.dumps(
        {"destination": "U" + "0" * 32, "events": [event(now_ms) for _ in range(events)]},
        separators=(",", ":"),
    )
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


def _requests(path: str, secret: str, count: int) -> list[wrk.Request]:
    requests = []
    for _ in range(count):
        body, signature = signed_body(secret, 1)
        headers = (("X-Line-Signature", signature), ("Content-Type", "application/json"))
        requests.append(wrk.Request("POST", path, body, headers))
    return requests


def load(port: int, client: redis.Redis, path: str, secret: str, count: int, seconds: float):
    """One round on ``path`` from an empty Redis: the wrk run, and Redis per request."""
    requests = _requests(path, secret, count)
    fresh_redis(client)
    reset_redis_stats(client)
    run = wrk.run(port, requests, seconds)
    commands, reads = redis_per_request(client, run.requests)
    return run, commands, reads


def _split(run: wrk.WrkRun) -> str:
    return "/".join(f"{n / run.requests:.2f}" for n in run.split)


def rounds(port: int, client: redis.Redis, secret: str, bodies: dict[str, int], args) -> None:
    """Interleaved rounds (baseline, floor, subject, baseline, ...); prints rates, ratios per
    round, the split and Redis per request."""
    rates: dict[str, list[float]] = {path: [] for path in ROUTES}
    redis_use = {}
    for n in range(args.rounds):
        for path in ROUTES:
            run, commands, reads = load(port, client, path, secret, bodies[path], args.seconds)
            rates[path].append(run.rate)
            redis_use[path] = commands, reads
            print(f"  round {n + 1}  {path:17} {run.rate:7.0f}/s  "
                  f"p50 {run.median_latency_ms:5.2f} ms  split {_split(run)}")  # fmt: skip
    for path in ROUTES:
        print(f"  {path:26} median {spread(rates[path])} req/s")
    for subject, base in ((SUBJECT, BASELINE), (FLOOR, BASELINE), (SUBJECT, FLOOR)):
        ratios = [s / b for s, b in zip(rates[subject], rates[base], strict=True)]
        print(f"  {subject} / {base:17} median {spread(ratios)}  (per round)")
    per_base = 1000 / statistics.median(rates[BASELINE])
    per_subject = 1000 / statistics.median(rates[SUBJECT])
    print(f"  1 / rate: signature {per_base:.3f} ms, callback {per_subject:.3f} ms per request, "
          f"{per_subject - per_base:.3f} ms more; 0.5x allows {per_base:.3f} ms more, "
          f"0.8x {per_base / 4:.3f} ms")  # fmt: skip
    for path in (FLOOR, SUBJECT):
        commands, reads = redis_use[path]
        listed = ", ".join(f"{name} {n:.2f}" for name, n in sorted(commands.items()))
        print(f"  Redis per {path} request: {sum(commands.values()):.2f} commands "
              f"({listed}); {reads:.2f} round trips (socket reads)")  # fmt: skip


def fsync_round(port: int, client: redis.Redis, secret: str, bodies: dict[str, int], args):
    """One more round of each with ``appendfsync no``: what the fsync of every write costs."""
    client.config_set("appendfsync", "no")
    try:
        rates = {path: load(port, client, path, secret, bodies[path], args.seconds)[0].rate
                 for path in ROUTES}  # fmt: skip
    finally:
        client.config_set("appendfsync", "always")
    shown = ", ".join(f"{path} {rate:.0f}/s" for path, rate in rates.items())
    print(f"  appendfsync no (one round each): {shown}; callback / signature "
          f"{rates[SUBJECT] / rates[BASELINE]:.2f}, durable / signature "
          f"{rates[FLOOR] / rates[BASELINE]:.2f}")  # fmt: skip


def spread(values: list[float]) -> str:
    """Median and range of ``values``, as "1234 (1100-1300)"."""
    digits = 0 if statistics.median(values) >= 100 else 2
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")  # fmt: skip


def _cpu_per_request(app, path: str, bodies: list[tuple[str, str]], profile=None) -> float:
    """CPU milliseconds per request through Flask's dispatch (no HTTP server)."""
    contexts = [
        app.test_request_context(
            path, method="POST", data=body, content_type="application/json",
            headers={"X-Line-Signature": sig},
        )
        for body, sig in bodies
    ]  # fmt: skip
    start = time.process_time()
    if profile is not None:
        profile.enable()
    for context in contexts:
        with context:
            response = app.full_dispatch_request()
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    if profile is not None:
        profile.disable()
    return (time.process_time() - start) * 1000 / len(contexts)


_BUCKETS: list[tuple[str, Callable[[str, str], bool]]] = [
    ("rq (job creation, serialisation)", lambda file, _: "/rq/" in file),
    ("redis-py (commands, pipeline)", lambda file, _: "/redis/" in file),
    ("socket I/O", lambda _, name: any(w in name for w in ("recv", "send", "poll", "select"))),
    ("flask + werkzeug", lambda file, _: "/flask/" in file or "/werkzeug/" in file),
    ("signature (linebot, hmac)", lambda file, name: "/linebot/" in file or "hmac" in file + name),
    ("json", lambda file, name: "json" in file + name),
    ("bot/ (the view)", lambda file, _: "/bot/" in file),
]


#: Functions whose time with their callees is worth seeing: (label, function name).
_INCLUSIVE = [
    ("signature check", "validate"),
    ("json.loads", "loads"),
    ("enqueue_events (jobs + transaction)", "enqueue_events"),
    ("  of which the Redis transaction", "execute"),
]


def _where(profile: cProfile.Profile, cpu_ms: float, top: int = 6) -> str:
    """Own CPU time per request, grouped by where it is spent, and the costliest functions.
    cProfile's shares, scaled to the CPU measured without it (it inflates small calls)."""
    totals: dict[str, float] = {}
    functions: list[tuple[float, str]] = []
    stats = pstats.Stats(profile).stats
    for (file, line, name), (_, _, own, _, _) in stats.items():
        bucket = next((label for label, test in _BUCKETS if test(file, name)), "other")
        totals[bucket] = totals.get(bucket, 0.0) + own
        functions.append((own, f"{name} ({Path(file).name}:{line})" if line else name))
    whole = sum(totals.values()) or 1.0
    inclusive = {
        label: sum(cum for (_, _, name), (_, _, _, cum, _) in stats.items() if name == function)
        for label, function in _INCLUSIVE
    }
    lines = [f"      {label:34} {cpu_ms * t / whole:6.3f} ms  {100 * t / whole:3.0f} %"
             for label, t in sorted(totals.items(), key=lambda item: -item[1])]  # fmt: skip
    lines.append("    inclusive (with what they call):")
    lines += [f"      {label:34} {cpu_ms * t / whole:6.3f} ms  {100 * t / whole:3.0f} %"
              for label, t in inclusive.items() if t]  # fmt: skip
    lines.append("    costliest functions (own time):")
    costliest = sorted(functions)[-top:][::-1]
    lines += [f"      {100 * own / whole:3.0f} %  {label}" for own, label in costliest]
    return "\n".join(lines)


def profile(env: dict[str, str], client: redis.Redis, secret: str, count: int) -> float:
    """CPU per request of both routes in-process, where /callback spends it, and a 1,000-event
    body; returns the baseline's CPU per request."""
    app = create_app({"SETTINGS": Settings.from_env(env)})
    app.register_blueprint(webhook_routes.bp)
    warm = [signed_body(secret, 1) for _ in range(50)]
    _cpu_per_request(app, BASELINE, warm)
    _cpu_per_request(app, SUBJECT, warm)
    fresh_redis(client)
    base = statistics.median(
        _cpu_per_request(app, BASELINE, [signed_body(secret, 1) for _ in range(count)])
        for _ in range(3)
    )
    subject = statistics.median(
        _cpu_per_request(app, SUBJECT, [signed_body(secret, 1) for _ in range(count)])
        for _ in range(3)
    )
    fresh_redis(client)
    profiler = cProfile.Profile(time.process_time)
    _cpu_per_request(app, SUBJECT, [signed_body(secret, 1) for _ in range(count)], profiler)
    print(f"  CPU per request in Flask's dispatch (no HTTP server): signature {base:.3f} ms, "
          f"callback {subject:.3f} ms, {subject - base:.3f} ms more")  # fmt: skip
    print("    where /callback's CPU goes (own time, cProfile):")
    print(_where(profiler, subject))
    for events in (1, 1000):
        fresh_redis(client)
        bodies = [signed_body(secret, events)]
        reset_redis_stats(client)
        started = time.perf_counter()
        cpu = _cpu_per_request(app, SUBJECT, bodies)
        wall = (time.perf_counter() - started) * 1000
        commands, reads = redis_per_request(client, 1)
        print(f"  one body of {events:5} events: {wall:6.1f} ms wall, {cpu:6.1f} ms CPU, "
              f"{sum(commands.values()):.0f} Redis commands, {reads:.0f} socket reads (Redis reads "
              f"16 KB at a time; tests/web/test_webhook.py counts 1 round trip)")  # fmt: skip
    return base


def main() -> None:
    """Interleaved rounds through gunicorn for each worker count, then the in-process profile."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", default="2,1", help="gunicorn worker counts, in turn")
    parser.add_argument("--profile-requests", type=int, default=2000)
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="wb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        client = redis.Redis.from_url(server.url)
        try:
            env = bench_env(server, fake)
            secret = env["LINE_CHANNEL_SECRET"]
            print(f"Webhook acknowledgement, wrk {wrk.THREADS} threads x {wrk.CONNECTIONS} "
                  f"connections, {args.rounds} interleaved rounds of {args.seconds:g} s, "
                  f"Redis appendfsync always:")  # fmt: skip
            for workers in (int(n) for n in args.workers.split(",")):
                print(f" gunicorn {workers} worker(s) x 4 threads (split: answers per worker)")
                with gunicorn(env, workers) as port:
                    # Each body is sent once: three times what a warm-up round managed.
                    bodies = {}
                    for path in ROUTES:
                        warm = wrk.run(port, _requests(path, secret, 3000), 2, check=False)
                        bodies[path] = int(3 * warm.rate * args.seconds) + 1000
                    rounds(port, client, secret, bodies, args)
                    fsync_round(port, client, secret, bodies, args)
            profile(env, client, secret, args.profile_requests)
        finally:
            client.close()
            server.stop()


if __name__ == "__main__":
    main()
