"""Perceptual hash (DCT pHash, 64 bits) of the upright picture: the strict second check that
tells "the same photo, resized or re-encoded" from "another shot of the same scene".

Computed at index time from the image already decoded for the model, and stored with the
vector, so `dupes` decodes nothing."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

SIDE = 32  # the picture is reduced to 32x32 grey
KEEP = 8  # and the lowest 8x8 frequencies kept


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
