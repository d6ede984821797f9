"""P2: a POS sale against an endpoint doing one Redis INCR, through the same gunicorn command.

    .venv/bin/python -m bench.pos_bench [--rounds 3] [--seconds 8] [--members 12000]

Every sale is distinct and real: a new transaction id and the rotating code the member's card
shows now (a code serves one sale), as a till sends them. Rounds interleave baseline and sale
(A B A B ...) with 2 web workers (the Procfile default) and again with 1, and print medians
with their spread, the connection split, ``sale / baseline``, then the Redis round trips and
commands of one sale and where its Python time goes. Needs ``wrk`` (Debian package).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import redis

from bench import wrk
from bench.common import bench_env, gunicorn
from bot import create_app
from bot.config import Settings
from bot.domain import card_codes
from bot.domain.records import Member
from bot.store.redis_store import LoyaltyStore, connect
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

SALE_PATH = "/api/v1/transactions"


class Till:
    """Members, their current codes and fresh transaction ids."""

    def __init__(self, settings: Settings, store: LoyaltyStore, members: list[Member]) -> None:
        self.settings, self.store, self.members = settings, store, members
        self.key = card_codes.derive_key(settings.secret_key)
        self.serial = 0

    def sales(self, count: int) -> list[dict]:
        """``count`` sale bodies, each with another member's current code (used once)."""
        now, window = int(time.time()), self.settings.program.code_window
        bodies = []
        for member in self.members[:count]:
            credentials = self.store.code_credentials(member.member_id)
            assert credentials is not None
            code = card_codes.issue(self.key, credentials, now, window).code
            self.serial += 1
            bodies.append({"transaction_id": f"T{self.serial}", "card_code": code, "amount": 1280})
        return bodies


def registered_till(env: dict, redis_url: str, members: int) -> tuple[Till, str]:
    """Store B1 with ``members`` registered members, the till that sells to them, and its
    API key."""
    store = LoyaltyStore(connect(redis_url))
    api_key = store.add_store("B1", "Bench")
    registered = [store.register_member(f"U{i:032x}", "b", "ja")[0] for i in range(members)]
    return Till(Settings.from_env(env), store, registered), api_key


def _requests(bodies: list[dict], path: str, api_key: str) -> list[wrk.Request]:
    headers = (("Content-Type", "application/json"), ("Authorization", f"Bearer {api_key}"))
    return [wrk.Request("POST", path, json.dumps(b, ensure_ascii=False), headers) for b in bodies]


def interleaved(env: dict, till: Till, api_key: str, rounds: int, seconds: float, workers: int):
    """Baseline and sale rates, alternating; returns the two lists of runs."""
    base_runs, sale_runs = [], []
    with gunicorn(env, workers) as port:
        warm = till.sales(200)
        wrk.run(port, _requests(warm, SALE_PATH, api_key), 1, check=False)
        for _ in range(rounds):
            base = _requests([{}] * 40_000, "/bench/baseline", api_key)
            base_runs.append(wrk.run(port, base, seconds))
            sale_runs.append(wrk.run(port, _requests(till.sales(len(till.members)), SALE_PATH,
                                                     api_key), seconds))  # fmt: skip
    return base_runs, sale_runs


def _summary(name: str, runs: list[wrk.WrkRun]) -> float:
    rates = [r.rate for r in runs]
    splits = " ".join("/".join(str(n) for n in r.split) for r in runs)
    latency = statistics.median(r.median_latency_ms for r in runs)
    print(
        f"  {name:9} median {statistics.median(rates):7.0f}/s  (min {min(rates):.0f}, "
        f"max {max(rates):.0f})  p50 latency {latency:.1f} ms  split {splits}"
    )
    return statistics.median(rates)


class _RoundTrips:
    """Counts what redis-py sends: one packed send is one round trip (a pipeline included)."""

    def __init__(self) -> None:
        self.count = 0
        self._original = redis.connection.AbstractConnection.send_packed_command

    def __enter__(self) -> _RoundTrips:
        original, counter = self._original, self

        def counting(conn, command, check_health=True):
            counter.count += 1
            return original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = counting
        return self

    def __exit__(self, *exc: object) -> None:
        redis.connection.AbstractConnection.send_packed_command = self._original


def in_process(env: dict, till: Till, api_key: str, server: EmbeddedRedis, count: int) -> None:
    """Round trips and commands of one sale, and a profile of the request path."""
    app = create_app({"SETTINGS": Settings.from_env(env)})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_key}"}
    admin = connect(server.url)

    def commands() -> Counter:
        stats = admin.info("commandstats")
        return Counter({k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()})

    for body in till.sales(20):  # warm: scripts loaded, connections open
        assert client.post(SALE_PATH, json=body, headers=headers).status_code == 201
    bodies = till.sales(count)
    before = commands()
    with _RoundTrips() as trips:
        for body in bodies:
            assert client.post(SALE_PATH, json=body, headers=headers).status_code == 201
    used = commands() - before
    used["info"] = 0
    print(f"Per sale (in process, {count} sales): {trips.count / count:.1f} Redis round trips, "
          f"{sum(used.values()) / count:.1f} commands (inside scripts too):")  # fmt: skip
    print("  " + ", ".join(f"{k} {v / count:.1f}" for k, v in used.most_common() if v))
    profile = cProfile.Profile()
    bodies = till.sales(count)
    profile.enable()
    for body in bodies:
        client.post(SALE_PATH, json=body, headers=headers)
    profile.disable()
    stats = pstats.Stats(profile)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    by_package: Counter = Counter()
    for (filename, _, _), value in stats.stats.items():  # type: ignore[attr-defined]
        package = next((p for p in ("redis", "rq", "flask", "werkzeug", "linebot", "bot",
                                    "socket") if f"/{p}/" in filename), "other")  # fmt: skip
        by_package[package] += value[2]
    print(
        f"  Python per sale {total / count * 1000:.2f} ms (profiled), own time by package: "
        + ", ".join(f"{k} {v / total:.0%}" for k, v in by_package.most_common())
    )
    app.extensions["loyalty"].line.close()
    admin.close()


def main() -> None:
    """Register members, then the interleaved rounds, then the per-sale figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--members", type=int, default=12_000)
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="pb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            env = bench_env(server, fake, POS_RATE_LIMIT_PER_MINUTE="1000000")
            till, api_key = registered_till(env, server.url, args.members)
            print(
                f"POS sale vs one INCR, wrk {wrk.THREADS} threads x {wrk.CONNECTIONS} "
                f"connections, {args.rounds} interleaved rounds of {args.seconds:g} s:"
            )
            for workers in (2, 1):
                print(f" gunicorn {workers} worker(s) x 4 threads (split: answers per worker)")
                base, sale = interleaved(env, till, api_key, args.rounds, args.seconds, workers)
                b, s = _summary("baseline", base), _summary("sale", sale)
                ratios = [x.rate / y.rate for x, y in zip(sale, base, strict=True)]
                print(
                    f"  sale / baseline {s / b:.2f} (per round "
                    + ", ".join(f"{r:.2f}" for r in ratios)
                    + ")"
                )
            in_process(env, till, api_key, server, 200)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
