"""What `dupes` knows of a picture without decoding it again: a perceptual hash (DCT pHash, 64
bits) for the global test, a 64x64 grey thumbnail for the local, tile-by-tile one, and a 16x16
colour thumbnail (768 bytes) for the colour test: grey alone calls a blue and a green sky the same.

Both are of the upright picture, computed at index time from the image already decoded for
the model, and kept in the catalog by content hash (model-independent)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SIDE = 32  # the picture is reduced to 32x32 grey
KEEP = 8  # and the lowest 8x8 frequencies kept
THUMB = 64  # thumbnail side, 4 KB: a 3 % region is ~11 px across, wide enough to outlast the
# half-pixel tolerance and blur of the tile test (verify.py); a dreidel's letter is ~10 px
MIN_SIDE = 2 * THUMB  # decode at least this big (JPEG draft mode) when computing one on demand
COLOUR = 16  # colour thumbnail side: per-tile chroma, each tile 1/256 of the frame
INNER = 0.04  # a second pHash of the frame less 4 % a side: a crop's own pHash comes close to it


@dataclass(frozen=True)
class Fingerprint:
    phash: str  # 16 hex digits
    width: int  # of the upright original
    height: int
    taken: str | None  # EXIF date (ISO 8601), when the file has one
    thumb: bytes  # THUMB x THUMB uint8 luma, the whole frame squashed to a square
    inner: str  # pHash of the frame less INNER a side (16 hex digits)
    colour: bytes | None = None  # COLOUR x COLOUR x 3 uint8 RGB; None in stores from before schema 6


@functools.cache
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def phash(image: Image.Image) -> str:
    """16 hex digits. Near-identical pictures differ in a few bits; different ones in ~32."""
    grey = np.asarray(image.convert("L").resize((SIDE, SIDE), Image.Resampling.LANCZOS), dtype=np.float64)
    d = _dct_matrix(SIDE)
    low = (d @ grey @ d.T)[:KEEP, :KEEP].ravel()
    bits = low > np.median(low[1:])  # the DC term is the mean brightness: leave it out of the median
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def thumbnail(image: Image.Image) -> bytes:
    """The frame squashed to THUMB x THUMB grey, area-averaged so that resized copies agree."""
    return image.convert("L").resize((THUMB, THUMB), Image.Resampling.BOX, reducing_gap=None).tobytes()


def colour_thumbnail(image: Image.Image) -> bytes:
    """The frame squashed to COLOUR x COLOUR RGB, area-averaged."""
    return image.convert("RGB").resize((COLOUR, COLOUR), Image.Resampling.BOX, reducing_gap=None).tobytes()


def fingerprint(image: Image.Image, width: int, height: int, taken: str | None) -> Fingerprint:
    w, h = image.size
    inner = image.crop((round(w * INNER), round(h * INNER), w - round(w * INNER), h - round(h * INNER)))
    return Fingerprint(phash(image), width, height, taken, thumbnail(image), phash(inner), colour_thumbnail(image))


def fingerprint_file(path: str | Path) -> Fingerprint:
    """For photos indexed before fingerprints were kept. Raises NotAnImageError."""
    from photofind.media.images import open_image

    image, info = open_image(path, min_side=MIN_SIDE)
    return fingerprint(image, info.width, info.height, info.taken)
