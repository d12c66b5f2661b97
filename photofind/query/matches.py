"""The ranked matches for one query vector: the best hashes from Chroma's HNSW index or an
exact scan (photofind.query.distances), turned into per-path matches (copies of one photo are
each listed, except the query's own files) that pass the filters, and the QueryResult."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

import numpy as np

from photofind.store.catalog import Catalog
from photofind.embedders.base import Embedder
from photofind.errors import NoIndexError
from photofind.query.filters import Filters
from photofind.query.ranking import Ranking
from photofind.query.memory import release_free_memory
from photofind.query.distances import CHROMA_METRICS, HIGHER_IS_BETTER, chroma_to_metric, exact_top_k
from photofind.results import Match, AnsweredPart, QueryResult
from photofind.store.vectors import VectorStore, photofind_collections

NO_FILTERS = Filters()
SCAN_PAGE_BYTES = 16 << 20  # vectors per page of an exact scan, in bytes


def taken_date(meta: dict[str, Any], mtime_ns: int) -> tuple[str, str]:
    """The EXIF date stored with the vector, else the file's mtime recorded at index time."""
    if meta.get("taken"):
        return str(meta["taken"]), "exif"
    return datetime.fromtimestamp(mtime_ns / 1e9).isoformat(timespec="seconds"), "mtime"


def expand_hits(
    hits: list[tuple[str, float, dict[str, Any]]],
    catalog: Catalog,
    exclude_paths: Collection[str],
    k: int,
    filters: Filters = NO_FILTERS,
    higher_is_better: bool = True,
    exclude_hash: str | None = None,
) -> list[Match]:
    """Ranked (hash, score, meta) -> the first k per-path matches that pass `filters`,
    skipping `exclude_paths` (the query's own files) and every copy of `exclude_hash`."""
    paths = catalog.paths_for([h for h, _, _ in hits])
    matches: list[Match] = []
    for digest, score, meta in hits:
        if not filters.score_ok(score, higher_is_better):
            break  # ranked: everything after is worse still
        if digest == exclude_hash:
            continue
        for p, mtime_ns in paths.get(digest, []):
            if p in exclude_paths or not filters.path_ok(p):
                continue
            taken, source = taken_date(meta, mtime_ns)
            if not filters.taken_ok(taken):
                continue
            matches.append(
                Match(len(matches) + 1, p, score, digest, meta.get("width"), meta.get("height"), taken, source)
            )
            if len(matches) == k:
                return matches
    return matches


def ranked_hashes(
    vector: np.ndarray, vectors: VectorStore, metric: str, n: int, *, exact: bool = False, total: int | None = None
) -> list[tuple[str, float, dict[str, Any]]]:
    """The n best (hash, score, image metadata). cosine and l2 come from Chroma's HNSW index
    unless `exact`; l1 and corr (and anything with `exact`) scan every stored vector in chunks.
    `total`: the collection's size when the caller has counted it already."""
    if metric in CHROMA_METRICS and not exact:
        return [
            (h.id, chroma_to_metric(metric, vectors.space, h.distance, len(vector)), h.metadata)
            for h in vectors.query(vector, n, total=total)
        ]
    # Pages of ~16 MB: at 100,000 pixel vectors (3072-d) Chroma's own pages (5,461 rows, 67 MB,
    # held two or three times over while a page is read and scored) lifted the server's peak
    # by 330 MB; the scan's speed is the same either way.
    rows = max(256, SCAN_PAGE_BYTES // (4 * len(vector)))
    top = exact_top_k(metric, vector, vectors.iter_all(rows), n)
    release_free_memory()  # the pages' memory back to the system, not kept for the next scan
    meta = vectors.get([h for h, _ in top])
    return [(h, score, meta.get(h, (None, {}))[1]) for h, score in top]


def ranked_matches(
    vector: np.ndarray, catalog: Catalog, vectors: VectorStore, *, k: int, metric: str, exact: bool,
    exclude_paths: Collection[str], filters: Filters, total: int, exclude_hash: str | None = None,
) -> list[Match]:
    """Ask for a few more hashes than k (the query files, copies and filtered-out photos take
    rows too), doubling until k matches are found, the scores fall below --min-score, or
    all `total` vectors have been seen."""
    better = HIGHER_IS_BETTER[metric]
    n = k + max(len(exclude_paths), 1) if not filters.active else max(4 * k, 50)
    while True:
        hits = ranked_hashes(vector, vectors, metric, n, exact=exact, total=total)
        matches = expand_hits(hits, catalog, exclude_paths, k, filters, better, exclude_hash)
        below = bool(hits) and not filters.score_ok(hits[-1][1], better)
        if len(matches) >= k or n >= total or below:
            return matches
        n = min(total, n * 2)


def count_vectors(vectors: VectorStore) -> int:
    """What every query needs before any work, beyond its Ranking (checked when it was built):
    something indexed. Returns the collection's size, counted once per query."""
    total = vectors.count()
    if total == 0:
        raise NoIndexError(_no_vectors_message(vectors))
    return total


def answer(
    query: str, vector: np.ndarray, catalog: Catalog, vectors: VectorStore, embedder: Embedder, ranking: Ranking,
    *, total: int, parts: list[AnsweredPart], is_text: bool = False, exclude_hash: str | None = None,
) -> QueryResult:
    """Rank for `vector`; the files among `parts` (the query's own) are never listed."""
    metric = ranking.metric
    own = {p.value for p in parts if p.kind == "image"}
    matches = ranked_matches(vector, catalog, vectors, k=ranking.k, metric=metric, exact=ranking.exact,
                              exclude_paths=own, filters=ranking.filters, total=total, exclude_hash=exclude_hash)
    # "No model ran": every image's vector was stored, and there are no words.
    was_indexed = all(p.was_indexed for p in parts) and not any(p.kind == "text" for p in parts)
    return QueryResult(
        query, embedder.id, metric, HIGHER_IS_BETTER[metric], ranking.exact or metric not in CHROMA_METRICS,
        was_indexed, matches, query_is_text=is_text, parts=parts, roots=[str(r) for r in catalog.roots()],
        empty_reason=None if matches else why_empty(ranking.filters, HIGHER_IS_BETTER[metric], catalog.counts()[0]),
    )


def why_empty(filters: Filters, higher_is_better: bool, photos: int) -> str:
    """Why a query found nothing: "0 of 1,240 photos taken since 2027-01-01", or that the only
    photos indexed are the query's own."""
    if not filters.active:
        return f"the {photos:,} indexed photo{'s' if photos != 1 else ''} are all the query's own"
    return f"0 of {photos:,} photo{'s' if photos != 1 else ''} {filters.describe(higher_is_better)}"


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
