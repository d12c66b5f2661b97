"""Deterministic photo-like test images: smooth colour fields with a few shapes, so resizing
and re-encoding keep them recognisable, the way real photos behave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def scene(seed: int, size: tuple[int, int] = (160, 120), shapes: list[tuple[int, int]] | None = None) -> Image.Image:
    """A smooth random background plus coloured discs. `shapes` (centres as fractions*100) lets a
    test draw 'the same scene with objects moved'."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    im = Image.fromarray(coarse, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    w, h = size
    centres = shapes or [(int(rng.integers(10, 90)), int(rng.integers(10, 90))) for _ in range(3)]
    for i, (cx, cy) in enumerate(centres):
        r = int(min(w, h) * 0.15)
        colour = tuple(int(c) for c in np.random.default_rng(seed * 31 + i).integers(0, 256, 3))
        x, y = cx * w // 100, cy * h // 100
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return im


def save(im: Image.Image, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **kwargs)
    return path


def library(root: Path, n: int, start: int = 0, size: tuple[int, int] = (160, 120)) -> list[Path]:
    return [save(scene(start + i, size), root / f"photo_{start + i:04d}.jpg", quality=92) for i in range(n)]
