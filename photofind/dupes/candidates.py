"""Which pairs of photos are worth verifying: every pair whose pHashes are within max_distance
bits, or where one's inner pHash (the frame less 4 % a side) is within CROP_BITS of the other's
pHash, found exactly by multi-index hashing (Norouzi et al., "Fast search in Hamming space with
multi-index hashing", CVPR 2012). The second catches crops, which move the pHash itself by up to
24 bits.

The 64 bits are cut into m chunks of <= 22 bits; two codes within r bits agree within r // m bits
on at least one chunk (pigeonhole), so each code probes, per chunk, the buckets of every key
within r // m bits of its own (a sorted table, read by offset: no hashing), and each hit is checked
on all 64 bits. With m = 3 and r = 8: 3 x 232 probes a code, ~1 hit each at 1M uniform codes, so the
cost grows with n (and the pairs really found), not n^2 as the exhaustive scan before (100k photos:
11 s; 1M: ~18 min). `close_pairs_brute` keeps that scan, for the tests to compare against.

Why not the vector index: every near pair must pass the pHash test anyway, so its neighbours can
only add pairs that this search finds too, and it misses some (4 of 65 resized copies at 30k
photos, at cosine 0.9998).
"""

from __future__ import annotations

import functools
import itertools
from typing import Callable, Iterator

import numpy as np

# A copy cropped ~4 % a side is within this many bits of its original's inner pHash: measured
# (scripts/dupes_quality.py) 0-6 where the pHashes themselves differed by 10-22. Wider would
# let in many more unrelated pairs to verify.
CROP_BITS = 6
QUERY_BLOCK = 1 << 18  # codes probed at once: bounds the hit arrays (~20 MB) whatever the library size
MAX_CHUNK = 22  # bits: a dense offsets table of 2^22 int32 (16 MB) per chunk


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


def _chunks(radius: int) -> list[tuple[int, int]]:
    """(shift, width) of each chunk: as few as keep each probe radius <= 2 and each chunk
    <= MAX_CHUNK bits (3 for r <= 8, 5 for the loose r = 12)."""
    m = max(-(-64 // MAX_CHUNK), -(-(radius + 1) // 3))
    widths = [64 // m + (k < 64 % m) for k in range(m)]
    shifts = np.cumsum([0] + widths[:-1])
    return [(int(s), w) for s, w in zip(shifts, widths)]


@functools.cache
def _flips(width: int, radius: int) -> np.ndarray:
    """Every key of `width` bits with at most `radius` bits set."""
    out = [0]
    for k in range(1, radius + 1):
        out += [sum(1 << b for b in c) for c in itertools.combinations(range(width), k)]
    return np.array(out, dtype=np.int64)


def _table(keys: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, starts): the codes sorted by key, and where each key's run starts (2^width + 1)."""
    order = np.argsort(keys, kind="stable").astype(np.int32)
    starts = np.searchsorted(keys[order], np.arange((1 << width) + 1, dtype=np.int64)).astype(np.int32)
    return order, starts  # int32: half the memory traffic of the random reads, up to 2^31 photos


def near_pairs(
    outer: np.ndarray, inner: np.ndarray, max_distance: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Every pair (i < j), once, whose pHashes are within max_distance bits or where one's inner
    pHash is within CROP_BITS of the other's pHash: both searches probe the same chunk tables
    when their chunking agrees (r <= 8), each table built once."""
    if _chunks(max_distance) == _chunks(CROP_BITS):
        yield _unique(list(_search([(outer, max_distance, True), (inner, CROP_BITS, False)], outer, on_progress)))
    else:
        yield from close_pairs(outer, max_distance, on_progress)
        yield from crop_pairs(outer, inner, on_progress)


def search(
    queries: np.ndarray, table: np.ndarray, radius: int, *, upper: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Every (i, j) with popcount(queries[i] ^ table[j]) <= radius, exactly, as (k, 2) arrays
    (a pair may come more than once: callers take np.unique). upper: queries is table, and only
    i < j is wanted; otherwise i != j, each pair as (min, max)."""
    yield from _search([(queries, radius, upper)], table, on_progress)


def _search(
    probes: list[tuple[np.ndarray, int, bool]], table: np.ndarray,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[np.ndarray]:
    chunks = _chunks(probes[0][1])
    steps = sum(len(_flips(w, r // len(chunks))) for _, r, _ in probes for _, w in chunks)
    done = 0
    for shift, width in chunks:
        mask = np.uint64((1 << width) - 1)
        order, starts = _table(((table >> np.uint64(shift)) & mask).astype(np.int64), width)
        for queries, radius, upper in probes:
            qkeys = ((queries >> np.uint64(shift)) & mask).astype(np.int32)
            for flip in _flips(width, radius // len(chunks)):
                for start in range(0, len(queries), QUERY_BLOCK):
                    found = _probe(qkeys[start : start + QUERY_BLOCK] ^ np.int32(flip), start, starts, order,
                                   queries, table, radius, upper)
                    if found is not None:
                        yield found
                done += 1
                if on_progress:
                    on_progress(done, steps)


def _probe(
    probe: np.ndarray, start: int, starts: np.ndarray, order: np.ndarray,
    queries: np.ndarray, table: np.ndarray, radius: int, upper: bool,
) -> np.ndarray | None:
    lo = starts[probe]
    count = starts[probe + 1] - lo
    hit = np.flatnonzero(count)
    if not len(hit):
        return None
    count = count[hit]
    first = np.repeat(lo[hit] - (np.cumsum(count) - count), count)
    j = order[first + np.arange(len(first), dtype=first.dtype)]
    i = np.repeat(hit + start, count)
    keep = np.bitwise_count(queries[i] ^ table[j]) <= radius
    keep &= (i < j) if upper else (i != j)
    if not keep.any():
        return None
    i, j = i[keep], j[keep]
    return np.stack([i, j] if upper else [np.minimum(i, j), np.maximum(i, j)], axis=1).astype(np.int64)


def close_pairs(
    codes: np.ndarray, max_distance: int, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[np.ndarray]:
    """Every pair (i < j) within max_distance bits, once, as one (k, 2) index array."""
    yield _unique(list(search(codes, codes, max_distance, upper=True, on_progress=on_progress)))


def crop_pairs(
    outer: np.ndarray, inner: np.ndarray, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[np.ndarray]:
    """Every pair (i < j) where one's inner pHash is within CROP_BITS of the other's pHash."""
    yield _unique(list(search(inner, outer, CROP_BITS, upper=False, on_progress=on_progress)))


def _unique(found: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), dtype=np.int64)


def close_pairs_brute(codes: np.ndarray, max_distance: int, block: int = 512) -> np.ndarray:
    """The exhaustive scan (n^2 / 2 pairs), for tests: every pair (i < j) within max_distance."""
    out = []
    for start in range(0, len(codes), block):
        d = np.bitwise_count(codes[start : start + block, None] ^ codes[None, :])
        i, j = np.nonzero(d <= max_distance)
        i += start
        keep = j > i
        out.append(np.stack([i[keep], j[keep]], axis=1))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)
