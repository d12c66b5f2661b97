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


def exif_with(orientation: int | None = None, taken: str | None = None) -> Image.Exif:
    """EXIF with an orientation tag and/or a DateTimeOriginal ("YYYY:MM:DD HH:MM:SS")."""
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    return exif


def save(im: Image.Image, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **kwargs)
    return path


def library(root: Path, n: int, start: int = 0, size: tuple[int, int] = (160, 120)) -> list[Path]:
    return [save(scene(start + i, size), root / f"photo_{start + i:04d}.jpg", quality=92) for i in range(n)]


def photo(seed: int, size: tuple[int, int] = (640, 480), person: tuple[float, float] | None = None) -> Image.Image:
    """A camera-like photo (shapes on smooth colour fields, sensor noise); `person` (centre,
    fractions) draws a standing figure of ~2 % of the frame there."""
    rng = np.random.default_rng(seed)
    w, h = size
    coarse = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    im = Image.fromarray(coarse, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(8):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(h // 30, h // 8))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    if person:  # ~2 % of the frame, in clothes darker or lighter than what is behind it
        px, py = int(person[0] * w), int(person[1] * h)
        pw, ph = w // 12, h // 4
        behind = np.asarray(im.convert("L"))[py - ph // 2 : py + ph // 2, w // 5 : 3 * w // 5].mean()  # same in a burst
        clothes = (30, 40, 90) if behind > 128 else (235, 225, 160)
        draw.ellipse((px - pw // 3, py - ph // 2 - pw // 2, px + pw // 3, py - ph // 2 + pw // 6), fill=(225, 185, 150))
        draw.rectangle((px - pw // 2, py - ph // 2 + pw // 6, px + pw // 2, py + ph // 2), fill=clothes)
    arr = np.asarray(im, dtype=np.int16) + rng.integers(-10, 11, (h, w, 3), dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def replace_region(im: Image.Image, other: Image.Image, area: float, seed: int) -> Image.Image:
    """`area` of the frame (a patch at a random place) replaced by another photo's content
    there; places where that content happens to look alike (white on white) are passed over."""
    rng = np.random.default_rng(seed)
    w, h = im.size
    side_w, side_h = round(w * area**0.5), round(h * area**0.5)
    other = other.resize(im.size)
    for _ in range(100):
        x, y = int(rng.integers(0, w - side_w + 1)), int(rng.integers(0, h - side_h + 1))
        box = (x, y, x + side_w, y + side_h)
        patch = other.crop(box)
        change = np.abs(np.asarray(patch.convert("L"), float) - np.asarray(im.crop(box).convert("L"), float)).mean()
        if change >= 32:  # grey levels on average: a visible change
            break
    out = im.copy()
    out.paste(patch, (x, y))
    return out


def plain(seed: int, size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A plain, low-detail photo (a sky, a wall): one smooth two-colour gradient of a random hue,
    faint noise. Its grey thumbnail is nearly flat, so grey alone tells two of them apart badly."""
    rng = np.random.default_rng(seed)
    w, h = size
    top, bottom = rng.integers(30, 226, 3), rng.integers(30, 226, 3)
    t = np.linspace(0, 1, h)[:, None, None] + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, w)[None, :, None]
    arr = top * (1 - t) + bottom * t + rng.normal(0, 2, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def recolour(im: Image.Image, turn: float) -> Image.Image:
    """The same picture with its hues turned by `turn` (0-1 of the colour wheel), lightness kept
    (HSV, then the grey levels put back): different colours, the same grey thumbnail."""
    hsv = np.asarray(im.convert("HSV"), dtype=np.int16)
    hsv[..., 0] = (hsv[..., 0] + round(turn * 256)) % 256
    out = Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")
    grey, new = np.asarray(im.convert("L"), float), np.asarray(out.convert("L"), float)
    arr = np.asarray(out, float) + (grey - new)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def tone_edit(im: Image.Image, brightness: float = 1.0, contrast: float = 1.0, gamma: float = 1.0,
              balance: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> Image.Image:
    """A global photometric edit as an editor makes it: brightness and contrast (PIL's
    ImageEnhance), gamma, a white balance (per-channel gain), each clipped to 0-255."""
    from PIL import ImageEnhance

    out = ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(brightness)).enhance(contrast)
    arr = 255 * (np.asarray(out, float) / 255) ** gamma * np.array(balance)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def caption(im: Image.Image, area: float = 0.05, text: str = "Happy birthday!") -> Image.Image:
    """A dark caption box with light text across the bottom, `area` of the frame."""
    out = im.copy()
    w, h = out.size
    bh = max(4, round(h * area))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, h - bh, w, h), fill=(25, 25, 35))
    draw.text((w // 10, h - bh + bh // 4), text, fill=(250, 250, 240))
    return out
