"""`like`: the photos that look most like a query image, from the vectors already stored.

A query whose bytes are already indexed reuses its stored vector, so no model is loaded
(and torch is never imported). Results are per path: copies of one photo are each listed,
except the query's own file.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from photofind.catalog import Catalog
from photofind.embedders.base import Embedder
from photofind.errors import InputError, NoIndexError
from photofind.hashing import sha256_file
from photofind.images import open_image
from photofind.metrics import CHROMA_METRICS, HIGHER_IS_BETTER, METRICS, chroma_to_metric, exact_top_k
from photofind.results import LikeResult, Match
from photofind.vectors import VectorStore, photofind_collections


def query_vector(path: Path, vectors: VectorStore, embedder: Embedder, max_pixels: int) -> tuple[np.ndarray, str, bool]:
    """(unit vector, content hash, was it already stored?) for any image file."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    stored = vectors.get([digest])
    if digest in stored:
        return stored[digest][0], digest, True
    image, _ = open_image(path, embedder.input_size, max_pixels)  # NotAnImageError is an InputError
    return embedder.embed([image])[0], digest, False


def _taken(meta: dict[str, Any], path: str) -> tuple[str | None, str | None]:
    if meta.get("taken"):
        return str(meta["taken"]), "exif"
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime).isoformat(timespec="seconds"), "mtime"
    except OSError:
        return None, None


def expand_hits(
    hits: list[tuple[str, float, dict[str, Any]]], catalog: Catalog, exclude_path: str, k: int
) -> list[Match]:
    """Ranked (hash, score, meta) -> ranked per-path matches, skipping `exclude_path`."""
    paths = catalog.paths_for([h for h, _, _ in hits])
    matches: list[Match] = []
    for digest, score, meta in hits:
        for p in paths.get(digest, []):
            if p == exclude_path:
                continue
            taken, source = _taken(meta, p)
            matches.append(
                Match(len(matches) + 1, p, score, digest, meta.get("width"), meta.get("height"), taken, source)
            )
            if len(matches) == k:
                return matches
    return matches


def ranked_hashes(
    vector: np.ndarray, vectors: VectorStore, metric: str, n: int, *, exact: bool = False
) -> list[tuple[str, float, dict[str, Any]]]:
    """The n best (hash, score, image metadata). cosine and l2 come from Chroma's HNSW index
    unless `exact`; l1 and corr (and anything with `exact`) scan every stored vector in chunks."""
    if metric in CHROMA_METRICS and not exact:
        return [
            (h.id, chroma_to_metric(metric, vectors.space, h.distance, len(vector)), h.metadata)
            for h in vectors.query(vector, n)
        ]
    top = exact_top_k(metric, vector, vectors.iter_all(), n)
    meta = vectors.get([h for h, _ in top])
    return [(h, score, meta.get(h, (None, {}))[1]) for h, score in top]


def like(
    query: Path,
    catalog: Catalog,
    vectors: VectorStore,
    embedder: Embedder,
    *,
    k: int = 10,
    metric: str = "cosine",
    exact: bool = False,
    max_pixels: int = 200_000_000,
) -> LikeResult:
    if k < 1:
        raise InputError("-k must be at least 1")
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    query = query.expanduser().resolve()
    if not query.is_file():
        raise InputError(f"{query} {'is not a file' if query.exists() else 'does not exist'}")
    total = vectors.count()
    if total == 0:
        raise NoIndexError(_no_vectors_message(vectors))
    vector, _, was_indexed = query_vector(query, vectors, embedder, max_pixels)
    # Ask for a few more than k: the query itself and copies of it take rows too.
    n = k + 1
    while True:
        matches = expand_hits(ranked_hashes(vector, vectors, metric, n, exact=exact), catalog, str(query), k)
        if len(matches) >= k or n >= total:
            break
        n = min(total, n * 2)
    return LikeResult(
        str(query), embedder.id, metric, HIGHER_IS_BETTER[metric], exact or metric not in CHROMA_METRICS,
        was_indexed, matches,
    )


def _no_vectors_message(vectors: VectorStore) -> str:
    found = [
        ((c.metadata or {}).get("photofind_model"), (c.metadata or {}).get("hnsw:space"))
        for c in photofind_collections(vectors.client)
        if c.count()
    ]
    other_spaces = sorted(str(space) for model, space in found if model == vectors.embedder_id)
    if other_spaces:
        return (
            f"index.space is {vectors.space} but {vectors.embedder_id} vectors exist only in "
            f"{', '.join(other_spaces)}; run: photofind reindex --full"
        )
    message = f"nothing indexed with model {vectors.embedder_id} yet; run: photofind index PATH"
    models = sorted({str(model) for model, _ in found})
    if models:
        message += f" (the index has vectors from {', '.join(models)}; choose that model with --model)"
    return message
