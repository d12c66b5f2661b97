"""The tutorial's four scores, exact and vectorised, and the top-k over any number of vectors.

- cosine: q·x / (|q||x|), higher is closer;
- l2: mean squared difference, mean((q - x)^2), lower is closer (the tutorial's "L2");
- l1: sum of absolute differences, lower is closer;
- corr: Pearson correlation, each vector centred on its own mean, then cosine; higher is closer.

`exact_top_k` streams the vectors in chunks, so a million 512-d vectors never need more than
one chunk plus k rows of memory at a time.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from photofind.query.ranking import METRICS  # declared where a query is checked; re-exported

HIGHER_IS_BETTER = {"cosine": True, "corr": True, "l1": False, "l2": False}
#: Metrics Chroma can answer: its cosine distance, and its squared-L2 distance (via the identity
#: |q - x|^2 = 2 - 2 cos for unit vectors when the collection's space is cosine or ip).
CHROMA_METRICS = ("cosine", "l2")


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def scores(metric: str, queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(m, d) queries x (n, d) vectors -> (m, n) scores in the metric's own units."""
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    x = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if metric == "cosine":
        return _unit(q) @ _unit(x).T
    if metric == "corr":
        return _unit(q - q.mean(axis=1, keepdims=True)) @ _unit(x - x.mean(axis=1, keepdims=True)).T
    if metric == "l2":
        # |q|^2 + |x|^2 - 2 q.x, clipped: rounding can make a tiny negative out of an exact match
        sq = (q * q).sum(1)[:, None] + (x * x).sum(1)[None, :] - 2.0 * (q @ x.T)
        return np.maximum(sq, 0.0) / q.shape[1]
    if metric == "l1":
        # One query row at a time keeps the (m, n, d) difference tensor from ever existing.
        return np.stack([np.abs(x - row).sum(axis=1) for row in q])
    raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")


def rank_order(metric: str, s: np.ndarray) -> np.ndarray:
    """Indices of `s` (1-d) from best to worst; ties keep index order (stable)."""
    return np.argsort(-s if HIGHER_IS_BETTER[metric] else s, kind="stable")


def exact_top_k(
    metric: str, query: np.ndarray, chunks: Iterable[tuple[list[str], np.ndarray]], k: int
) -> list[tuple[str, float]]:
    """The k best (id, score) over every chunk of (ids, vectors), best first."""
    best_ids: list[str] = []
    best_scores = np.zeros(0, dtype=np.float32)
    for ids, vecs in chunks:
        if len(ids) == 0:
            continue
        s = scores(metric, query, vecs)[0]
        pool_ids = best_ids + list(ids)
        pool = np.concatenate([best_scores, s])
        keep = rank_order(metric, pool)[:k]
        best_ids = [pool_ids[i] for i in keep]
        best_scores = pool[keep]
    return list(zip(best_ids, (float(v) for v in best_scores)))


def chroma_to_metric(metric: str, space: str, distance: float, dim: int) -> float:
    """A Chroma distance from a collection of unit vectors -> `metric`'s own units."""
    squared_l2 = distance if space == "l2" else 2.0 * distance  # cosine/ip: 1 - cos = |q-x|^2 / 2
    if metric == "l2":
        return max(squared_l2, 0.0) / dim
    if metric == "cosine":
        return 1.0 - squared_l2 / 2.0
    raise ValueError(f"Chroma cannot score {metric}")


def chunked(ids: list[str], vectors: np.ndarray, size: int) -> Iterator[tuple[list[str], np.ndarray]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size], vectors[start : start + size]
