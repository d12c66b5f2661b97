"""`like`: the photos that look most like a query image, from the vectors already stored.

A query whose bytes are already indexed reuses its stored vector, so no model is loaded
(and torch is never imported). Results are per path: copies of one photo are each listed,
except the query's own file.
"""

from __future__ import annotations

import hashlib
import os
import io
from datetime import datetime
from pathlib import Path
from typing import Any, Collection, Sequence

import numpy as np

from photofind.store.catalog import Catalog
from photofind.embedders import text_models
from photofind.embedders.base import Embedder
from photofind.errors import InputError, NoIndexError, NotAnImageError
from photofind.filters import Filters
from photofind.ranking import Ranking
from photofind.media.files import NotRegularFileError, check_regular
from photofind.media.hashing import sha256_file
from photofind.media.images import open_image
from photofind.memory import release_free_memory
from photofind.distances import CHROMA_METRICS, HIGHER_IS_BETTER, METRICS, chroma_to_metric, exact_top_k
from photofind.results import Match, QueryPart, QueryResult
from photofind.store.vectors import VectorStore, photofind_collections

NO_FILTERS = Filters()
SCAN_PAGE_BYTES = 16 << 20  # vectors per page of an exact scan, in bytes
DEFAULT_RANKING = Ranking()


def check_query_file(path: Path) -> None:
    """The one place a query path is checked: a regular file (never a FIFO or a device)."""
    if not os.path.lexists(path):
        raise InputError(f"{path} does not exist")
    try:
        check_regular(path)
    except NotRegularFileError as exc:
        raise InputError(f"{path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def query_vector(path: Path, vectors: VectorStore, embedder: Embedder, max_pixels: int) -> tuple[np.ndarray, str, bool]:
    """(unit vector, content hash, was it already stored?) for any image file."""
    check_query_file(path)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    stored = vectors.get([digest])
    if digest in stored:
        return stored[digest][0], digest, True
    try:
        image, _ = open_image(path, embedder.input_size, max_pixels)
    except NotAnImageError as exc:  # the reason alone ("unknown format") does not say which file
        raise NotAnImageError(f"{path}: {exc}") from None
    return embedder.embed([image])[0], digest, False


def upload_vector(data: bytes, vectors: VectorStore, embedder: Embedder, max_pixels: int) -> tuple[np.ndarray, str, bool]:
    """query_vector for bytes held in memory (a web upload): never written to disk or indexed."""
    digest = hashlib.sha256(data).hexdigest()
    stored = vectors.get([digest])
    if digest in stored:
        return stored[digest][0], digest, True
    image, _ = open_image(io.BytesIO(data), embedder.input_size, max_pixels)
    return embedder.embed([image])[0], digest, False


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


def _ranked_matches(
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


def _check(ranking: Ranking, vectors: VectorStore) -> int:
    """What every query needs before any work: sane -k and metric, and something indexed.
    Returns the collection's size, counted once per query."""
    if ranking.k < 1:
        raise InputError("-k must be at least 1")
    if ranking.metric not in METRICS:
        raise InputError(f"unknown metric {ranking.metric!r}; choose one of {', '.join(METRICS)}")
    total = vectors.count()
    if total == 0:
        raise NoIndexError(_no_vectors_message(vectors))
    return total


def _answer(
    query: str, vector: np.ndarray, catalog: Catalog, vectors: VectorStore, embedder: Embedder, ranking: Ranking,
    *, total: int, parts: list[QueryPart], is_text: bool = False, exclude_hash: str | None = None,
) -> QueryResult:
    """Rank for `vector`; the files among `parts` (the query's own) are never listed."""
    metric = ranking.metric
    own = {p.value for p in parts if p.kind == "image"}
    matches = _ranked_matches(vector, catalog, vectors, k=ranking.k, metric=metric, exact=ranking.exact,
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


def like(
    query: Path, catalog: Catalog, vectors: VectorStore, embedder: Embedder, ranking: Ranking = DEFAULT_RANKING,
    *, max_pixels: int = 200_000_000, weight: float = 1.0, examples: Sequence[tuple[Path, float]] = (),
) -> QueryResult:
    """The photos most like the image file `query` (with `weight`), or like the weighted mix of
    it and further `examples` (a negative weight steers away; photofind.combined). The query
    files are never listed, their copies are."""
    from photofind.combined import check_weights, image_parts, mix

    asked = [(p.expanduser().resolve(), w) for p, w in [(query, weight), *examples]]
    check_weights([QueryPart("image", str(p), w) for p, w in asked])
    total = _check(ranking, vectors)
    parts, vecs = image_parts(asked, vectors, embedder, max_pixels)
    return _answer(parts[0].value, mix(parts, vecs), catalog, vectors, embedder, ranking, total=total, parts=parts)


def like_stored(
    digest: str, catalog: Catalog, vectors: VectorStore, embedder: Embedder, ranking: Ranking = DEFAULT_RANKING
) -> QueryResult:
    """"More like this" for an indexed photo: its stored vector, no file read. The photo itself
    (all its copies) is left out; the query is named by its first path."""
    total = _check(ranking, vectors)
    stored = vectors.get([digest])
    if digest not in stored:
        raise InputError(f"no indexed photo has content {digest[:12]}…")
    paths = catalog.paths_for([digest]).get(digest, [])
    name = paths[0][0] if paths else digest
    part = QueryPart("image", name, 1.0, was_indexed=True)
    return _answer(name, stored[digest][0], catalog, vectors, embedder, ranking, total=total, parts=[part],
                   exclude_hash=digest)


def like_upload(
    data: bytes, name: str, catalog: Catalog, vectors: VectorStore, embedder: Embedder,
    ranking: Ranking = DEFAULT_RANKING, *, max_pixels: int = 200_000_000,
) -> QueryResult:
    """The photos most like an image held in memory. Its indexed copies are listed (they are
    what the user may be looking for)."""
    total = _check(ranking, vectors)
    vector, _, was_indexed = upload_vector(data, vectors, embedder, max_pixels)
    # An upload is not a file of this machine: named, but nothing is excluded by its name.
    part = QueryPart("upload", name, 1.0, was_indexed)
    return _answer(name, vector, catalog, vectors, embedder, ranking, total=total, parts=[part])


def search_text(
    text: str, catalog: Catalog, vectors: VectorStore, embedder: Embedder, ranking: Ranking = DEFAULT_RANKING,
    *, examples: Sequence[tuple[Path, float]] = (), max_pixels: int = 200_000_000,
) -> QueryResult:
    """Photos matching a description, through CLIP's text tower: text and image vectors share
    one space, so the text vector queries the same collection. With `examples`, the words
    (weight 1) and the weighted images are mixed into one vector (photofind.combined)."""
    from photofind.combined import check_weights, image_parts, mix

    if not embedder.supports_text:
        raise InputError(no_text_tower(embedder.id))
    if not text.strip():
        raise InputError("give some words to search for")
    asked = [(p.expanduser().resolve(), w) for p, w in examples]
    words = QueryPart("text", text, 1.0)
    check_weights([words, *(QueryPart("image", str(p), w) for p, w in asked)])
    total = _check(ranking, vectors)
    parts, vecs = image_parts(asked, vectors, embedder, max_pixels)
    vector = mix([words, *parts], [embedder.embed_texts([text])[0], *vecs])
    return _answer(text, vector, catalog, vectors, embedder, ranking, total=total, parts=[words, *parts],
                   is_text=True)


def no_text_tower(model_id: str) -> str:
    """Said once, with the one way forward: `search` with a model that has no text tower."""
    names = text_models()
    return (f"{model_id} has no text tower, so it cannot search by words; only {' or '.join(names)} can. "
            f"Add its vectors to this library once with: photofind reindex --model {names[0]} (it downloads "
            "CLIP's weights, about 600 MB; with no network, set model.checkpoint to a local CLIP weights file "
            "first). Until then, search by example: photofind like IMAGE")


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
