"""Which pairs of photos are worth verifying, found without comparing every pair.

Two sources, united:
- pHash buckets (multi-index hashing): the 64 bits cut into BLOCKS; two pHashes within
  len(BLOCKS) - 1 bits agree exactly on at least one block (pigeonhole), so sorting by each
  block finds every such pair. Resized and re-encoded copies differ by 0-4 bits, so they are
  found even where the approximate vector index misses them (measured: 4 of 65 at 30k).
- the vector index's nearest neighbours, read and asked in pages, which catch copies whose
  pHash moved more (crops).
Everything is streamed: vectors a page at a time, pairs kept only once within the pHash limit.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from photofind.store.vectors import VectorStore

BLOCKS = (13, 13, 13, 13, 12)  # bits per block: every pair within 4 bits shares a block
RUN_CAP = 256  # members of one bucket paired at most (thousands of flat pictures share one)
PAGE = 2048  # vectors read and asked about per page


def codes(phashes: list[str]) -> np.ndarray:
    return np.array([int(p, 16) for p in phashes], dtype=np.uint64)


def bits(codes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """pHash distance of each pair (rows of indices into codes)."""
    return np.bitwise_count(codes[pairs[:, 0]] ^ codes[pairs[:, 1]]).astype(np.int64)


def _normal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs as rows (low, high), self-pairs dropped."""
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1).astype(np.int64)
    return pairs[pairs[:, 0] != pairs[:, 1]]


def bucket_pairs(codes: np.ndarray, max_distance: int) -> np.ndarray:
    """Every pair within min(max_distance, len(BLOCKS) - 1) bits, and some further ones."""
    found = [np.empty((0, 2), dtype=np.int64)]
    shift = 64
    for width in BLOCKS:
        shift -= width
        key = (codes >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(key, kind="stable")
        k = key[order]
        # Members of a bucket sit side by side once sorted: pair each with the next d-th.
        for d in range(1, RUN_CAP):
            same = k[d:] == k[:-d]
            if not same.any():
                break
            found.append(_within(codes, _normal(order[:-d][same], order[d:][same]), max_distance))
    return np.concatenate(found)


def neighbour_pairs(
    vectors: VectorStore,
    index: dict[str, int],
    codes: np.ndarray,
    max_distance: int,
    neighbours: int,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Pairs (within max_distance bits) of each stored vector with its nearest neighbours."""
    for ids, page in vectors.iter_all(PAGE):
        hits = vectors.neighbours(page, neighbours + 1)
        a, b = [], []
        for i, near in zip(ids, hits):
            if i in index:
                for j in near:
                    if j in index:
                        a.append(index[i])
                        b.append(index[j])
        if a:
            yield _within(codes, _normal(np.array(a), np.array(b)), max_distance)
        if on_page:
            on_page(len(ids))


def _within(codes: np.ndarray, pairs: np.ndarray, max_distance: int) -> np.ndarray:
    return pairs[bits(codes, pairs) <= max_distance] if len(pairs) else pairs


def unique(pairs: list[np.ndarray]) -> np.ndarray:
    joined = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    return np.unique(joined, axis=0) if len(joined) else joined
