"""Which pairs of photos are worth verifying: every pair whose pHashes are within max_distance
bits, found by an exhaustive scan of the 64-bit codes.

Why not the vector index: every near pair must pass the pHash test anyway, so its neighbours can
only add pairs that this scan finds too, and it misses some (4 of 65 resized copies at 30k
photos, at cosine 0.9998). It is also the slow part: with Chroma 1.5.9 and pixel-32 vectors a
neighbour query took 7.7 ms a photo and reading the vectors 1 ms (88 s at 10k photos), while
this scan does 100k photos (5e9 pairs) in ~11 s, 128 x 16384 pairs at a time: memory stays
bounded by the codes themselves (8 bytes a photo) and an 18 MB buffer. Cost grows as n^2 (extrapolated: ~18 min
at 1M photos; multi-index hashing would be the next step there).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

BLOCK, COLUMNS = 128, 16384  # pairs per step: 16 MB of XOR buffer, whatever the library size


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
    xor = np.empty((BLOCK, min(n, COLUMNS)), dtype=np.uint64)
    count = np.empty((BLOCK, min(n, COLUMNS)), dtype=np.uint8)
    for start in range(0, n, BLOCK):
        rows = codes[start : start + BLOCK]
        for col in range(start, n, COLUMNS):
            m, k = len(rows), min(COLUMNS, n - col)
            x = np.bitwise_xor(rows[:, None], codes[None, col : col + k], out=xor[:m, :k])
            i, j = np.nonzero(np.bitwise_count(x, out=count[:m, :k]) <= max_distance)
            i, j = i + start, j + col
            keep = j > i  # the upper triangle, no self-pairs
            if keep.any():
                yield np.stack([i[keep], j[keep]], axis=1).astype(np.int64)
        if on_progress:
            on_progress(min(start + BLOCK, n), n)
