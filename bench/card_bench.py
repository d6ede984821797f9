"""Card images: render time and PNG size, and the image endpoint against a static file.

    .venv/bin/python -m bench.card_bench [--members 300] [--requests 2000]

Renders the card of many members in both code modes (after one warm-up render per rank and
language, as a long-running worker would have), then serves card images through gunicorn
(the production app, 2 workers x 4 threads, keep-alive clients) next to a pre-rendered PNG
sent by the same server: the ratio says what rendering on request costs over a static file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import THREADS, bench_env, gunicorn, http_load, rate
from bot.config import Settings
from bot.domain import card_codes
from bot.domain.cards import new_member_number
from bot.imaging.card_image import CardFace, render_card_png
from bot.services import CardUrls
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine

LANGUAGES = ("ja", "en")


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


def serve(env: dict[str, str], settings: Settings, requests: int, static_png: Path) -> None:
    """Image endpoint throughput against a static file served by the same gunicorn."""
    program = settings.program
    ranks = [tier.key for tier in program.ranks.tiers]
    urls = CardUrls(settings.secret_key, settings.public_base_url)
    now = int(time.time())
    faces = _faces(min(requests, 500), "rotating", ranks, program.code_window, now)
    paths = [
        urls.url_for(face.fields(), face.valid_until + 60).removeprefix(settings.public_base_url)
        for face in faces
    ]
    with gunicorn({**env, "BENCH_STATIC_FILE": str(static_png)}) as port:
        http_load(port, paths[: 4 * THREADS])  # warm the design layers in every worker
        base = http_load(port, ["/bench/static.png"] * requests)
        cards = http_load(port, [paths[i % len(paths)] for i in range(requests)])
    print(f"Card image endpoint, {THREADS} keep-alive clients, gunicorn 2 workers x 4 threads:")
    print(f"  static PNG file (baseline)    {rate(requests, base)}")
    print(f"  /media/card/<token>.png       {rate(requests, cards)}  ratio {cards / base:.2f}")


def main() -> None:
    """Render figures, then HTTP throughput on a fresh embedded Redis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cb") as tmp, FakeLine() as fake:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            env = bench_env(server, fake)
            settings = Settings.from_env(env)
            samples = render(settings, args.members)
            static_png = Path(tmp) / "card.png"
            static_png.write_bytes(samples["rotating"])
            serve(env, settings, args.requests, static_png)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
