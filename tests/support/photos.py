"""Photograph-like variants of a card image: what a staff phone camera makes of a screen."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageEnhance, ImageFilter

Variant = Callable[[Image.Image], Image.Image]


def _on_desk(image: Image.Image, margin: float = 0.25) -> Image.Image:
    width, height = image.size
    canvas = Image.new(
        "RGB", (int(width * (1 + margin * 2)), int(height * (1 + margin * 2))), (70, 70, 75)
    )
    canvas.paste(image, (int(width * margin), int(height * margin)))
    return canvas


def _perspective(image: Image.Image) -> Image.Image:
    # The phone held at an angle: the far edge shorter than the near one.
    width, height = image.size
    src = [(0, 0), (width, 0), (width, height), (0, height)]
    dst = [(width * 0.06, height * 0.04), (width * 0.94, 0), (width, height), (0, height * 0.96)]
    matrix = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    rhs = [c for point in src for c in point]
    coefficients = _solve(matrix, rhs)
    return image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        coefficients,
        Image.Resampling.BICUBIC,
        fillcolor=(70, 70, 75),
    )


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    rows = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


def _moire(image: Image.Image) -> Image.Image:
    # Screen pixels beating against the camera sensor: faint diagonal bands.
    gray = image.convert("L")
    pattern = Image.new("L", gray.size)
    pattern.putdata(
        [
            int(235 + 20 * math.sin((x + y) / 3.1))
            for y in range(gray.height)
            for x in range(gray.width)
        ]
    )
    return Image.composite(gray, Image.new("L", gray.size, 0), pattern).convert("RGB")


def _noise(image: Image.Image, seed: int) -> Image.Image:
    rng = random.Random(seed)
    gray = image.convert("L")
    gray.putdata([max(0, min(255, p + int(rng.gauss(0, 18)))) for p in gray.get_flattened_data()])
    return gray.convert("RGB")


VARIANTS: dict[str, Variant] = {
    "scaled 50%": lambda im: im.resize((im.width // 2, im.height // 2)),
    "scaled 35% (LINE thumbnail)": lambda im: im.resize(
        (int(im.width * 0.35), int(im.height * 0.35))
    ),
    "rotated 8°": lambda im: _on_desk(im).rotate(8, expand=True, fillcolor=(70, 70, 75)),
    "rotated -15°": lambda im: _on_desk(im).rotate(-15, expand=True, fillcolor=(70, 70, 75)),
    "perspective": lambda im: _perspective(_on_desk(im, 0.1)),
    "blur 1.5 px": lambda im: im.filter(ImageFilter.GaussianBlur(1.5)),
    "blur 3 px": lambda im: im.filter(ImageFilter.GaussianBlur(3)),
    "JPEG q25": lambda im: _jpeg(im, 25),
    "dim, low contrast": lambda im: ImageEnhance.Contrast(
        ImageEnhance.Brightness(im).enhance(0.6)
    ).enhance(0.5),
    "moiré": _moire,
    "sensor noise": lambda im: _noise(im, 7),
    "harsh: scaled 15%": lambda im: im.resize((int(im.width * 0.15), int(im.height * 0.15))),
    "harsh: blur 6 px": lambda im: im.filter(ImageFilter.GaussianBlur(6)),
    "harsh: rotated 40°": lambda im: _on_desk(im).rotate(40, expand=True, fillcolor=(70, 70, 75)),
    "all: desk, rotate 5°, blur 1, JPEG q40": lambda im: _jpeg(
        _on_desk(im)
        .rotate(5, expand=True, fillcolor=(70, 70, 75))
        .filter(ImageFilter.GaussianBlur(1)),
        40,
    ),
}
