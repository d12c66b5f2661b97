"""`like`: the photos that look most like a query image, from the vectors already stored.

A query whose bytes are already indexed reuses its stored vector, so no model is loaded
(and torch is never imported). Results are per path: copies of one photo are each listed,
except the query's own file.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from photofind.catalog import Catalog
from photofind.embedders.base import Embedder
from photofind.errors import InputError, NoIndexError
from photofind.hashing import sha256_file
from photofind.images import open_image
from photofind.vectors import Hit, VectorStore, photofind_collections


@dataclass(frozen=True)
class Match:
    rank: int
    path: str
    score: float
    hash: str
    width: int | None
    height: int | None
    taken: str | None
    taken_from: str | None  # "exif" or "mtime"


@dataclass(frozen=True)
class LikeResult:
    query: str
    model: str
    metric: str
    higher_is_better: bool
    query_was_indexed: bool  # True: the stored vector was reused and no model was loaded
    matches: list[Match]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "matches": [asdict(m) for m in self.matches]}


def chroma_score(space: str, distance: float) -> tuple[float, bool]:
    """Chroma distance -> (score in the metric's own units, higher is better?)."""
    if space == "l2":
        return distance, False  # Chroma's l2 is the squared Euclidean distance
    return 1.0 - distance, True  # cosine and ip report 1 - similarity


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


def like(
    query: Path, catalog: Catalog, vectors: VectorStore, embedder: Embedder, *, k: int = 10, max_pixels: int = 200_000_000
) -> LikeResult:
    if k < 1:
        raise InputError("-k must be at least 1")
    query = query.expanduser().resolve()
    if not query.is_file():
        raise InputError(f"{query} {'is not a file' if query.exists() else 'does not exist'}")
    total = vectors.count()
    if total == 0:
        others = sorted({str((c.metadata or {}).get("photofind_model")) for c in photofind_collections(vectors.client) if c.count()})
        hint = f" (the index has vectors from {', '.join(others)}; choose that model with --model)" if others else ""
        raise NoIndexError(f"nothing indexed with model {embedder.id} yet; run: photofind index PATH{hint}")
    vector, _, was_indexed = query_vector(query, vectors, embedder, max_pixels)
    # Ask Chroma for a few more than k: the query itself and copies of it take rows too.
    n = k + 1
    while True:
        hits: list[Hit] = vectors.query(vector, n)
        scored = [(h.id, *chroma_score(vectors.space, h.distance)[:1], h.metadata) for h in hits]
        matches = expand_hits(scored, catalog, str(query), k)
        if len(matches) >= k or n >= total:
            break
        n = min(total, n * 2)
    return LikeResult(
        str(query), embedder.id, vectors.space, chroma_score(vectors.space, 0.0)[1], was_indexed, matches
    )
