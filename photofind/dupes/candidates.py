"""Which pairs of photos are worth verifying: every pair whose pHashes are within max_distance
bits, or where one's inner pHash (the frame less 4 % a side) is within CROP_BITS of the other's
pHash, found by exhaustive scans of the 64-bit codes. The second catches crops, which move the
pHash itself by up to 24 bits.

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

# A copy cropped ~4 % a side is within this many bits of its original's inner pHash: measured
# (scripts/dupes_quality.py) 0-6 where the pHashes themselves differed by 10-22. Wider would
# let in many more unrelated pairs to verify.
CROP_BITS = 6
BLOCK, COLUMNS = 128, 16384  # pairs per step: 16 MB of XOR buffer, whatever the library size


def codes(phashes: list[str]) -> np.ndarray:
    return np.array([int(p, 16) for p in phashes], dtype=np.uint64)


def bits(codes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """pHash distance of each pair (rows of indices into codes)."""
    return np.bitwise_count(codes[pairs[:, 0]] ^ codes[pairs[:, 1]]).astype(np.int64)


def global_test(
    outer: np.ndarray, inner: np.ndarray, pairs: np.ndarray, max_distance: int
) -> tuple[np.ndarray, np.ndarray]:
    """(passes, distance shown) for each pair: the pHashes are within max_distance bits, or one
    picture's inner pHash is within CROP_BITS of the other's pHash (a crop of it). The distance
    shown is the smaller of the two."""
    a, b = pairs[:, 0], pairs[:, 1]
    full = np.bitwise_count(outer[a] ^ outer[b]).astype(np.int64)
    crop = np.minimum(np.bitwise_count(inner[a] ^ outer[b]), np.bitwise_count(outer[a] ^ inner[b])).astype(np.int64)
    return (full <= max_distance) | (crop <= CROP_BITS), np.minimum(full, crop)


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


def crop_pairs(
    outer: np.ndarray, inner: np.ndarray, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[np.ndarray]:
    """Every pair (i < j) where one's inner pHash is within CROP_BITS of the other's pHash:
    the same scan over all ordered pairs (a crop can be either one)."""
    n = len(outer)
    xor = np.empty((BLOCK, min(n, COLUMNS)), dtype=np.uint64)
    count = np.empty((BLOCK, min(n, COLUMNS)), dtype=np.uint8)
    for start in range(0, n, BLOCK):
        rows = inner[start : start + BLOCK]
        for col in range(0, n, COLUMNS):
            m, k = len(rows), min(COLUMNS, n - col)
            x = np.bitwise_xor(rows[:, None], outer[None, col : col + k], out=xor[:m, :k])
            i, j = np.nonzero(np.bitwise_count(x, out=count[:m, :k]) <= CROP_BITS)
            i, j = i + start, j + col
            keep = i != j
            if keep.any():
                yield np.stack([np.minimum(i, j)[keep], np.maximum(i, j)[keep]], axis=1).astype(np.int64)
        if on_progress:
            on_progress(min(start + BLOCK, n), n)
