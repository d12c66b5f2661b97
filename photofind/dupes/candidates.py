"""Which pairs of photos are worth verifying: every pair whose pHashes are within max_distance
bits, found by an exhaustive scan of the 64-bit codes.

Why not the vector index: every near pair must pass the pHash test anyway, so its neighbours can
only add pairs that this scan finds too, and it misses some (4 of 65 resized copies at 30k
photos, at cosine 0.9998). It is also the slow part: with Chroma 1.5.9 and pixel-32 vectors a
neighbour query took 7.7 ms a photo and reading the vectors 1 ms (88 s at 10k photos), while
this scan does 100k photos (5e9 pairs) in ~11 s, in 128-row blocks of ~13 MB: memory stays
bounded by the codes themselves (8 bytes a photo). Cost grows as n^2: ~18 min at 1M photos.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

BLOCK = 128  # rows per step: the XOR and popcount buffers stay in cache


def codes(phashes: list[str]) -> np.ndarray:
    return np.array([int(p, 16) for p in phashes], dtype=np.uint64)


def bits(codes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """pHash distance of each pair (rows of indices into codes)."""
    return np.bitwise_count(codes[pairs[:, 0]] ^ codes[pairs[:, 1]]).astype(np.int64)


def close_pairs(
    codes: np.ndarray, max_distance: int, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[np.ndarray]:
    """Every pair (i < j) within max_distance bits, as (k, 2) index arrays, a block at a time."""
    n = len(codes)
    xor = np.empty((BLOCK, n), dtype=np.uint64)
    count = np.empty((BLOCK, n), dtype=np.uint8)
    for start in range(0, n, BLOCK):
        rows = codes[start : start + BLOCK]
        m, k = len(rows), n - start
        x = np.bitwise_xor(rows[:, None], codes[None, start:], out=xor[:m, :k])
        c = np.bitwise_count(x, out=count[:m, :k])
        i, j = np.nonzero(c <= max_distance)
        keep = j > i  # j counts from `start`: the upper triangle, no self-pairs
        if keep.any():
            yield np.stack([i[keep] + start, j[keep] + start], axis=1).astype(np.int64)
        if on_progress:
            on_progress(min(start + BLOCK, n), n)
