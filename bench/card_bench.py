"""Card images: render time and PNG size, then the image endpoint against a static file.

    .venv/bin/python -m bench.card_bench [--members 300] [--cards 300] [--rounds 3]
        [--seconds 8] [--workers 2,1]

First renders the card of many members in both code modes (after one warm-up render per rank
and language, as a long-running worker would have). Then the flow LINE sees: before each card
round a fresh set of cards is built as the worker builds them (each image drawn once and
stored in Redis), and ``wrk`` fetches them through gunicorn (the production app plus the
bench routes, the Procfile's command, 2 workers and then 1) in rounds interleaved with rounds
on a pre-rendered PNG of the same size sent by the same server (``/bench/static.png``). Every
request is distinct: each card is fetched under many URLs (the same face, signed with other
expiries), which costs the server what distinct cards would (check the token, read Redis:
nothing is cached in the web process) without drawing tens of thousands of cards. Printed:
rates with medians and ranges, ``card / static`` per pair, the connection split, Redis per
request and per stored image.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import redis

from bench import wrk
from bench.common import bench_env, fresh_redis, gunicorn, redis_per_request, reset_redis_stats
from bot.config import Settings
from bot.domain import card_codes
from bot.domain.cards import new_member_number
from bot.handlers.card import IMAGE_GRACE
from bot.imaging.card_cache import prepare_card_png
from bot.imaging.card_image import CardFace, render_card_png
from bot.services import ImageUrls
from bot.store.image_cache import ImageCache
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

LANGUAGES = ("ja", "en")
STATIC = "/bench/static.png"


def _faces(count: int, mode: str, ranks: list[str], window: int, now: int) -> list[CardFace]:
    key = card_codes.derive_key("b" * 48)
    faces = []
    for i in range(count):
        number = new_member_number()
        rank, language = ranks[i % len(ranks)], LANGUAGES[i % 2]
        if mode == "static":
            faces.append(CardFace("static", number, number, rank, language))
            continue
        member = card_codes.Credentials(card_codes.new_handle(), card_codes.new_secret(), i)
        issued = card_codes.issue(key, member, now, window)
        faces.append(CardFace("rotating", issued.code, number, rank, language, issued.expires_at))
    return faces


def render(settings: Settings, members: int) -> dict[str, bytes]:
    """Render time and PNG size per mode; returns one PNG per mode for the HTTP run."""
    program = settings.program
    ranks = [tier.key for tier in program.ranks.tiers]
    now = int(time.time())
    samples: dict[str, bytes] = {}
    print(f"Card image render, {members} members per mode ({len(ranks)} ranks, ja/en):")
    for mode in ("rotating", "static"):
        faces = _faces(members, mode, ranks, program.code_window, now)
        for face in faces[: 2 * len(ranks)]:
            render_card_png(face, program)  # the design layers, drawn once per process
        times, sizes = [], []
        for face in faces:
            start = time.perf_counter()
            png = render_card_png(face, program)
            times.append((time.perf_counter() - start) * 1000)
            sizes.append(len(png))
        samples[mode] = png
        times.sort()
        print(
            f"  {mode:8}  median {statistics.median(times):5.1f} ms  "
            f"p95 {times[int(len(times) * 0.95)]:5.1f} ms  "
            f"PNG median {statistics.median(sizes) / 1024:5.1f} KB  max {max(sizes) / 1024:5.1f} KB"
        )
    return samples


def build_cards(settings: Settings, cache: ImageCache, count: int) -> tuple[list[CardFace], float]:
    """Build ``count`` rotating cards as the worker does (image drawn and stored in Redis);
    returns their faces and the milliseconds each took."""
    program = settings.program
    now = int(time.time())
    faces = _faces(
        count, "rotating", [t.key for t in program.ranks.tiers], program.code_window, now
    )
    start = time.perf_counter()
    for face in faces:
        prepare_card_png(face, program, cache, face.valid_until + IMAGE_GRACE - now)
    return faces, (time.perf_counter() - start) * 1000 / count


def _card_requests(settings: Settings, faces: list[CardFace], count: int) -> list[wrk.Request]:
    """``count`` distinct URLs of ``faces``: each face signed with expiries a second apart."""
    urls = ImageUrls(settings.secret_key, settings.public_base_url)
    per_face = -(-count // len(faces))
    return [
        wrk.Request("GET", urls.url_for(face.fields(), face.valid_until + IMAGE_GRACE - k)
                    .removeprefix(settings.public_base_url))
        for k in range(per_face)
        for face in faces
    ]  # fmt: skip


def _static_requests(count: int) -> list[wrk.Request]:
    return [wrk.Request("GET", f"{STATIC}?n={n}") for n in range(count)]


def _measured(port: int, client: redis.Redis, requests: list[wrk.Request], seconds: float):
    reset_redis_stats(client)
    run = wrk.run(port, requests, seconds)
    return run, *redis_per_request(client, run.requests)


def _split(run: wrk.WrkRun) -> str:
    return "/".join(f"{n / run.requests:.2f}" for n in run.split)


def serve(env: dict[str, str], settings: Settings, static_png: Path, workers: int, args) -> None:
    """Interleaved rounds: the static file, then freshly built cards fetched by their URLs."""
    client = redis.Redis.from_url(settings.redis_url)
    cache = ImageCache(client)
    rates: dict[str, list[float]] = {"static": [], "card": []}
    build_ms: list[float] = []
    print(f" gunicorn {workers} worker(s) x 4 threads, {args.cards} cards built before each "
          f"card round (split: answers per worker):")  # fmt: skip
    with gunicorn({**env, "BENCH_STATIC_FILE": str(static_png)}, workers) as port:
        faces, _ = build_cards(settings, cache, 4 * wrk.CONNECTIONS)
        warm = wrk.run(port, _card_requests(settings, faces, 20_000), 2, check=False)
        # Each request is sent once: three times what the warm-up managed.
        count = int(3 * warm.rate * args.seconds) + 1000
        for n in range(args.rounds):
            fresh_redis(client)
            run, _, _ = _measured(port, client, _static_requests(2 * count), args.seconds)
            rates["static"].append(run.rate)
            print(f"  round {n + 1}  {STATIC:24} {run.rate:7.0f}/s  "
                  f"p50 {run.median_latency_ms:5.2f} ms  split {_split(run)}")  # fmt: skip
            before = client.info("memory")["used_memory"]
            faces, per_card = build_cards(settings, cache, args.cards)
            per_image = (client.info("memory")["used_memory"] - before) / args.cards
            build_ms.append(per_card)
            requests = _card_requests(settings, faces, count)
            run, commands, reads = _measured(port, client, requests, args.seconds)
            rates["card"].append(run.rate)
            print(f"  round {n + 1}  {'/media/card/<token>.png':24} {run.rate:7.0f}/s  "
                  f"p50 {run.median_latency_ms:5.2f} ms  split {_split(run)}  "
                  f"(built in {per_card:.1f} ms a card)")  # fmt: skip
    ratios = [c / s for c, s in zip(rates["card"], rates["static"], strict=True)]
    print(f"  static PNG file (baseline)  median {_spread(rates['static'])} req/s")
    print(f"  /media/card/<token>.png     median {_spread(rates['card'])} req/s")
    print(f"  card / static               median {_spread(ratios)}  (per pair)")
    listed = ", ".join(f"{name} {calls:.2f}" for name, calls in sorted(commands.items()))
    print(f"  Redis per card request: {listed}; {reads:.2f} round trips (socket reads); "
          f"{per_image / 1024:.1f} KB of used_memory per stored image")  # fmt: skip
    print(f"  building a card's image (draw + store, as the worker does): "
          f"median {statistics.median(build_ms):.1f} ms")  # fmt: skip
    client.close()


def _spread(values: list[float]) -> str:
    digits = 0 if statistics.median(values) >= 100 else 2
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")  # fmt: skip


def main() -> None:
    """Render figures, then HTTP throughput on a fresh embedded Redis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--cards", type=int, default=300, help="built before each card round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", default="2,1", help="gunicorn worker counts, in turn")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="cb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            env = bench_env(server, fake)
            settings = Settings.from_env(env)
            samples = render(settings, args.members)
            static_png = Path(tmp) / "card.png"
            static_png.write_bytes(samples["rotating"])
            print(f"Card image endpoint, wrk {wrk.THREADS} threads x {wrk.CONNECTIONS} "
                  f"connections, {args.rounds} interleaved pairs of "
                  f"{args.seconds:g} s rounds:")  # fmt: skip
            for workers in (int(n) for n in args.workers.split(",")):
                serve(env, settings, static_png, workers, args)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
